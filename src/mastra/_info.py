"""What this installation is: version, compiled core, SIMD path and a kernel self-check."""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass, field

import numpy as np

from mastra import _core
from mastra._version import __version__

__all__ = ["Info", "KernelCheck", "info"]


@dataclass(frozen=True)
class KernelCheck:
    """The kernels of one SIMD level compared with a float64 NumPy reference."""

    backend: str
    max_relative_error: float
    search_matches: bool

    @property
    def ok(self) -> bool:
        """True when every kernel agreed with the reference."""
        return self.max_relative_error < 1e-4 and self.search_matches


@dataclass(frozen=True)
class Info:
    """A snapshot of the installation, as printed by ``mastra info``."""

    version: str
    python: str
    platform: str
    simd_backend: str
    simd_backends: list[str]
    cpu_features: str
    cores: int
    checks: list[KernelCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every self-check passed."""
        return all(check.ok for check in self.checks)

    def render(self) -> str:
        """The report as human-readable lines."""
        lines = [
            f"mastra {self.version}",
            f"python       {self.python} on {self.platform}",
            f"simd         {self.simd_backend} (this CPU runs: {', '.join(self.simd_backends)})",
            f"cpu features {self.cpu_features or '-'}",
            f"cores        {self.cores}",
        ]
        for check in self.checks:
            verdict = "ok" if check.ok else "FAILED"
            lines.append(
                f"self-check   {check.backend:<7} {verdict}  "
                f"(max relative error {check.max_relative_error:.2e}, "
                f"exact top-k {'matches' if check.search_matches else 'differs'})"
            )
        return "\n".join(lines)


def _check_kernels(backend: str, rng: np.random.Generator) -> KernelCheck:
    previous = _core.set_simd_backend(backend)
    try:
        a = rng.standard_normal((7, 389)).astype(np.float32)
        b = rng.standard_normal((301, 389)).astype(np.float32)
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        dots = a64 @ b64.T
        norms_a = np.linalg.norm(a64, axis=1)
        norms_b = np.linalg.norm(b64, axis=1)
        expected = {
            "ip": dots,
            "cosine": dots / np.outer(norms_a, norms_b),
            "l2": (norms_a**2)[:, None] + (norms_b**2)[None, :] - 2 * dots,
        }
        got = {
            "ip": np.vstack([_core.inner_product(a, b), _core.inner_product(a[0], b)]),
            "cosine": np.vstack([_core.cosine_similarity(a, b), _core.cosine_similarity(a[0], b)]),
            "l2": np.vstack([_core.l2_squared(a, b), _core.l2_squared(a[0], b)]),
        }
        worst = 0.0
        for name, ref in expected.items():
            ref_full = np.vstack([ref, ref[0]])
            scale = np.abs(ref_full).max()
            worst = max(worst, float(np.abs(got[name] - ref_full).max() / scale))
        keys, _ = _core.exact_search(a, b, 5, "l2", 0)
        reference_keys = np.argsort(expected["l2"], axis=1, kind="stable")[:, :5]
        return KernelCheck(backend, worst, bool(np.array_equal(keys, reference_keys)))
    finally:
        _core.set_simd_backend(previous)


def info(*, self_check: bool = True) -> Info:
    """Describes this installation and, by default, checks every SIMD path it can run.

    Example:
        >>> import mastra
        >>> print(mastra.info().render())  # doctest: +SKIP
    """
    caps = _core.capabilities()
    backends = _core.simd_backends()
    rng = np.random.default_rng(20261125)
    checks = [_check_kernels(backend, rng) for backend in backends] if self_check else []
    return Info(
        version=__version__,
        python=platform.python_version(),
        platform=f"{sys.platform}-{platform.machine()}",
        simd_backend=str(caps["simd"]),
        simd_backends=list(backends),
        cpu_features=str(caps["cpu_features"]),
        cores=int(caps["cores"]),
        checks=checks,
    )
