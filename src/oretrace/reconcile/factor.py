"""The symmetric positive definite solves of a reduced reconciliation system, and the diagonal of
K' S^-1 K that gives the variances: dense Cholesky for small systems, a sparse LU factor where its
factors stay sparse, and Takahashi's selected inverse on that factor (see solver's module text).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sl
import scipy.sparse as sp
from scipy.sparse import linalg as spl

#: reduced systems (independent balances of one connected part) up to this size are solved with a
#: dense Cholesky factor; larger ones with a sparse LU factorisation when its factors stay sparse
#: (at most SPARSE_FILL of a dense matrix), else densely up to DENSE_MAX, beyond which always sparse.
DENSE_FIRST = 400
SPARSE_FILL = 0.1
DENSE_MAX = 7000
#: Takahashi's recurrence for the variances when its work (the sum of squared column counts of the
#: factor) stays below this; beyond, one solve per column
SELECTED_MAX_PAIRS = 3e7
_BLOCK = 256        # columns of the inverse per step (dense factor)
_SPARSE_BLOCK = 16  # (sparse factor: small blocks keep SuperLU's solves in cache)


# ------------------------------------------------------------------ the reduced system
class _SPD:
    """Solves with a symmetric positive definite matrix and gives diag(K' S^-1 K) for sparse K."""

    def __init__(self, S: sp.csr_matrix):
        self.n = n = S.shape[0]
        self._inv = None
        self.dense = True
        self.selected = None
        if n > DENSE_FIRST:
            try:
                # diagonal pivots only (safe for a positive definite matrix): then L U = L D L'
                lu = spl.splu(S.tocsc(), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                              options={"SymmetricMode": True})
            except RuntimeError:      # numerically singular: the dense pseudo-inverse below copes
                lu = None
            if lu is not None and (lu.L.nnz + lu.U.nnz <= SPARSE_FILL * n * n or n > DENSE_MAX):
                self.lu, self.mode, self.dense = lu, "sparse", False
                if np.array_equal(lu.perm_r, lu.perm_c):
                    self.selected = _SelectedInverse.of(lu)
                return
        Sd = S.toarray(order="F")
        try:
            self.cf = sl.cho_factor(Sd, lower=True, overwrite_a=True, check_finite=False)
            self.mode = "cholesky"
        except (np.linalg.LinAlgError, ValueError):
            self.pinv = sl.pinvh(S.toarray())
            self.mode = "pinv"

    def solve(self, b: np.ndarray) -> np.ndarray:
        if self.mode == "cholesky" and self.cf is None:
            return self._inverse() @ b
        if self.mode == "cholesky":
            return sl.cho_solve(self.cf, b, check_finite=False)
        if self.mode == "pinv":
            return self.pinv @ b
        return self.lu.solve(b)

    def _inverse(self) -> np.ndarray:
        if self._inv is None:
            if self.mode == "pinv":
                self._inv = self.pinv
            else:
                from scipy.linalg import lapack
                c, lower = self.cf
                inv, info = lapack.dpotri(c, lower=1, overwrite_c=1)
                if info != 0:
                    raise np.linalg.LinAlgError(f"dpotri failed ({info})")
                _symmetrise_lower(inv)
                self._inv = inv
                self.cf = None  # overwritten
        return self._inv

    def quad_diag(self, K: sp.spmatrix) -> np.ndarray:
        """diag(K' S^-1 K) for a sparse K with n rows."""
        K = sp.csc_matrix(K)
        out = np.zeros(K.shape[1])
        if K.nnz == 0 or self.n == 0:
            return out
        if self.dense:
            return self._by_inverse_columns(K, out, self._inverse().__getitem__)
        todo = np.arange(K.shape[1])
        if self.selected is not None:
            done, values = self.selected.quad_diag(K)
            out[done] = values[done]
            todo = np.flatnonzero(~done & (np.diff(K.indptr) > 0))
        if len(todo) == 0:
            return out
        Kt = K[:, todo]
        if len(todo) <= self.n:
            # one solve per column of K
            for j0 in range(0, len(todo), _SPARSE_BLOCK):
                E = Kt[:, j0:j0 + _SPARSE_BLOCK].toarray()
                out[todo[j0:j0 + _SPARSE_BLOCK]] = np.einsum("ij,ij->j", E, self.lu.solve(E))
            return out
        part = self._by_inverse_columns(Kt, np.zeros(len(todo)), self._sparse_columns)
        out[todo] = part
        return out

    def _sparse_columns(self, index):
        J = index[1]
        E = np.zeros((self.n, len(J)))
        E[J, np.arange(len(J))] = 1.0
        return self.lu.solve(E)

    def _by_inverse_columns(self, K: sp.csc_matrix, out: np.ndarray, columns) -> np.ndarray:
        """diag(K' S^-1 K) from the columns of S^-1, a block at a time."""
        KT = K.T.tocsr()
        KTc = KT.tocsc()
        rows_used = np.flatnonzero(np.diff(K.tocsr().indptr))
        step = _BLOCK if self.dense else _SPARSE_BLOCK
        for j0 in range(0, len(rows_used), step):
            J = rows_used[j0:j0 + step]
            Z = columns((slice(None), J))
            KZ = KT @ Z                              # (cols of K) x |J|
            out += np.asarray(KTc[:, J].multiply(KZ).sum(axis=1)).ravel()
        return out


class _SelectedInverse:
    """The entries of S^-1 on the pattern of its factor (S permuted = L D L'), by Takahashi's recurrence
    (Takahashi, Fagan and Chen 1973; Erisman and Tinney 1975): for j from the last column back,
    Z[r, j] = -Z[r, r] L[r, j] and Z[j, j] = 1/d[j] - L[r, j]' Z[r, j], r the rows below j in column
    j of L, whose Z[r, r] the elimination tree guarantees to be on the pattern already computed.
    Enough for the variances of a balance network, whose pairs of ends are adjacent in S."""

    def __init__(self, perm, zd, ip, ix, zv):
        self.perm, self.zd, self.ip, self.ix, self.zv = perm, zd, ip, ix, zv
        n = len(zd)
        self.keys = np.repeat(np.arange(n, dtype=np.int64), np.diff(ip)) * n + ix

    @classmethod
    def of(cls, lu) -> "_SelectedInverse | None":
        L = lu.L.tocsc()
        L.sort_indices()
        n = L.shape[0]
        d = lu.U.diagonal()
        col = np.repeat(np.arange(n), np.diff(L.indptr))
        keep = L.indices > col
        ix = L.indices[keep].astype(np.int64)
        lv = L.data[keep]
        cnt = np.bincount(col[keep], minlength=n)
        if float((cnt.astype(np.float64) ** 2).sum()) > SELECTED_MAX_PAIRS:
            return None   # the factor has filled in: one solve per column is cheaper
        ip = np.concatenate([[0], np.cumsum(cnt)])
        keys = np.repeat(np.arange(n, dtype=np.int64), cnt) * n + ix
        zv = np.zeros(len(ix))
        zd = np.zeros(n)
        ipl = ip.tolist()
        tri: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for j in range(n - 1, -1, -1):
            p0, p1 = ipl[j], ipl[j + 1]
            if p0 == p1:
                zd[j] = 1.0 / d[j]
                continue
            rows = ix[p0:p1]
            l = lv[p0:p1]
            m = p1 - p0
            M = np.diag(zd[rows])
            if m > 1:
                if m not in tri:
                    tri[m] = np.triu_indices(m, 1)
                a, b = tri[m]
                vals = zv[np.searchsorted(keys, rows[a] * n + rows[b])]
                M[b, a] = vals
                M[a, b] = vals
            zc = -(M @ l)
            zv[p0:p1] = zc
            zd[j] = 1.0 / d[j] - l @ zc
        # S[i, k] = B[perm_c[i], perm_c[k]] with B = L U
        return cls(np.asarray(lu.perm_c, dtype=np.int64), zd, ip, ix, zv)

    def entries(self, i: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found, value) of S^-1[i, k] for index arrays in the original order."""
        n = len(self.zd)
        bi, bk = self.perm[i], self.perm[k]
        lo, hi = np.minimum(bi, bk), np.maximum(bi, bk)
        found = np.ones(len(i), dtype=bool)
        val = np.zeros(len(i))
        diag = lo == hi
        val[diag] = self.zd[lo[diag]]
        off = ~diag
        if off.any():
            key = lo[off] * n + hi[off]
            pos = np.minimum(np.searchsorted(self.keys, key), max(len(self.keys) - 1, 0))
            hit = (self.keys[pos] == key) if len(self.keys) else np.zeros(len(key), dtype=bool)
            found[off] = hit
            v = np.where(hit, self.zv[pos] if len(self.zv) else 0.0, 0.0)
            val[off] = v
        return found, val

    def quad_diag(self, K: sp.csc_matrix, most: int = 8) -> tuple[np.ndarray, np.ndarray]:
        """(done, values) of diag(K' S^-1 K) for the columns of K with at most `most` entries whose
        pairs all lie on the pattern."""
        m = K.shape[1]
        done = np.zeros(m, dtype=bool)
        out = np.zeros(m)
        counts = np.diff(K.indptr)
        for t in range(1, most + 1):
            cols = np.flatnonzero(counts == t)
            if len(cols) == 0:
                continue
            base = K.indptr[cols][:, None] + np.arange(t)[None, :]
            rows, vals = K.indices[base], K.data[base]            # len(cols) x t
            a, b = np.triu_indices(t)                              # pairs with a <= b
            f, z = self.entries(rows[:, a].ravel(), rows[:, b].ravel())
            f = f.reshape(len(cols), -1).all(axis=1)
            w = np.where(a == b, 1.0, 2.0)
            q = (vals[:, a] * vals[:, b] * z.reshape(len(cols), -1) * w).sum(axis=1)
            done[cols] = f
            out[cols] = q
        return done, out


def _symmetrise_lower(a: np.ndarray, block: int = 512) -> None:
    """Copy the lower triangle of a square array onto its upper triangle, in place, block by block."""
    n = a.shape[0]
    for i0 in range(0, n, block):
        i1 = min(n, i0 + block)
        blk = a[i0:i1, i0:i1]
        blk[:] = np.tril(blk) + np.tril(blk, -1).T
        if i1 < n:
            a[i0:i1, i1:] = a[i1:, i0:i1].T
