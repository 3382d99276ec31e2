"""Figures people would rather look at than read: the paper's Figure 9 and the few-shot curve."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np

from lmsdk.eval.fewshot import FewShotPoint
from lmsdk.outputs import replacing
from lmsdk.viz import palette


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def regression_figure(
    path: str | os.PathLike[str],
    images: np.ndarray,
    discovered: np.ndarray,
    annotated: np.ndarray,
    predicted: np.ndarray,
    errors: np.ndarray,
    title: str,
    columns: int = 6,
) -> None:
    """Like the paper's Figure 9: discovered landmarks (coloured crosses), annotations (red dots) and regressed
    points (circles coloured by their error, in % of the normalising distance).

    Args:
        images: ``(N, S, S, 3)`` RGB crops. discovered ``(N, K, 2)``, annotated and predicted ``(N, P, 2)``:
            normalised crop coordinates. errors: ``(N, P)`` fractions.
    """
    plt = _pyplot()
    n = len(images)
    rows = (n + columns - 1) // columns
    s = images.shape[1]
    fig, axes = plt.subplots(rows, columns, figsize=(2.2 * columns, 2.2 * rows + 0.6), squeeze=False)
    cmap = plt.get_cmap("jet")
    vmax = max(float(np.nanpercentile(errors, 95)) * 100, 1.0)
    colors = np.array(palette(discovered.shape[1])) / 255
    for ax in axes.flat:
        ax.axis("off")
    for i in range(n):
        ax = axes.flat[i]
        ax.imshow(images[i], extent=(0, s, s, 0))
        d, a, p = (x[i] * s for x in (discovered, annotated, predicted))
        ax.scatter(d[:, 0], d[:, 1], marker="x", c=colors, s=28, linewidths=1.5)
        ax.scatter(a[:, 0], a[:, 1], marker="o", c="red", s=10)
        ax.scatter(
            p[:, 0],
            p[:, 1],
            marker="o",
            facecolors="none",
            s=60,
            linewidths=1.6,
            edgecolors=cmap(np.clip(errors[i] * 100 / vmax, 0, 1)),
        )
        ax.set_xlim(0, s)
        ax.set_ylim(s, 0)
    mappable = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, vmax))
    fig.colorbar(mappable, ax=list(axes.flat), fraction=0.02, pad=0.01, label="error, % of normalising distance")
    fig.suptitle(title)
    with replacing(path) as tmp:
        fig.savefig(tmp, dpi=100)
    plt.close(fig)


def few_shot_figure(
    path: str | os.PathLike[str],
    curves: Sequence[FewShotPoint] | Mapping[str, Sequence[FewShotPoint]],
    baseline: float,
    title: str,
    unknowns: int | None = None,
) -> None:
    """Error (mean and spread over random draws) against the number of labelled images, log scale.

    ``curves``: one curve, or several by label (e.g. the paper's bias-free fit and the ridge fit). ``unknowns``
    (2K, the regressor's inputs per output coordinate) is marked: at and below it the bias-free least-squares
    fit is exactly or under-determined and interpolates the annotation noise.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    if not isinstance(curves, Mapping):
        curves = {"discovered landmarks -> annotated": curves}
    for label, points in curves.items():
        x = [p.labels for p in points]
        y = np.array([p.mean for p in points]) * 100
        e = np.array([p.std for p in points]) * 100
        ax.errorbar(x, y, yerr=e, marker="o", capsize=3, label=label)
    ax.axhline(baseline * 100, color="gray", linestyle="--", label="mean-shape baseline")
    if unknowns:
        ax.axvline(unknowns, color="tab:red", linestyle=":", label=f"2K = {unknowns} unknowns per coordinate")
    ax.set_xscale("log")
    ax.set_yscale("log")  # near 2K labels the bias-free fit interpolates noise; a log axis keeps the rest readable
    ax.set_xlabel("labelled images used to fit the regressor")
    ax.set_ylabel("error, % of inter-ocular distance")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    ax.set_title(title)
    fig.tight_layout()
    with replacing(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
