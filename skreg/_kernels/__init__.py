"""Numba primitives shared by the model families.

Conventions: plain ``@njit(cache=True, nogil=True)`` functions on arrays. A design matrix is
passed as ``(Xd, data, indices, indptr, is_sparse)``: dense float64 Fortran ``Xd`` or CSC
``(data, indices, indptr)``, see :func:`skreg._validation.csc_parts`. Kernels never write
into their input arrays unless the argument is documented as an output buffer.
"""
