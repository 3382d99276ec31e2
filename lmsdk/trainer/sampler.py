"""Deterministic batches and random streams: everything random in step ``s`` is a function of (seed, s).

That makes ``--resume`` exact without saving generator states: the batch and the augmentation of a
step do not depend on what ran before it.
"""

from __future__ import annotations

import numpy as np
import torch


def step_generator(seed: int, step: int, stream: int = 0, rank: int = 0) -> torch.Generator:
    """A CPU generator for one step of one stream (0: augmentation, 1: BN statistics, ...)."""
    state = np.random.SeedSequence([seed, stream, rank, step]).generate_state(2, np.uint64)
    return torch.Generator().manual_seed(int(state[0] >> np.uint64(1)))


def batch_indices(n: int, batch: int, step: int, seed: int, rank: int = 0, world: int = 1) -> np.ndarray:
    """Indices of this process's share of the global batch of ``step``: epochs are seeded permutations.

    The global stream concatenates one permutation of ``range(n)`` per epoch; step ``s`` takes items
    ``[s * batch * world, (s + 1) * batch * world)`` of it and rank ``r`` the r-th slice of ``batch``.
    """
    start = (step * world + rank) * batch
    out = np.empty(batch, np.int64)
    filled = 0
    while filled < batch:
        epoch, offset = divmod(start + filled, n)
        perm = np.random.default_rng([seed, epoch]).permutation(n)
        take = min(batch - filled, n - offset)
        out[filled : filled + take] = perm[offset : offset + take]
        filled += take
    return out
