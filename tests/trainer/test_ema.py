"""The weight average a run can export: its decay, its update and its swap in and out of the model."""

import torch

from lmsdk.trainer.ema import WeightAverage


def test_average_follows_the_weights_with_its_horizon():
    model = torch.nn.Linear(3, 2)
    ema = WeightAverage(model, horizon=0.1)
    assert ema.decay(0, 1000) == 0.1  # the warm-up cap: the first updates mostly take the new weights
    assert ema.decay(10_000, 1000) == 1 - 1 / 100  # then a horizon of 10 % of 1,000 steps
    start = [p.detach().clone() for p in model.parameters()]
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    ema.update(model, step=10_000, total=1000)
    for avg, before in zip(ema.shadow, start, strict=True):
        torch.testing.assert_close(avg, before + 0.01)


def test_applied_swaps_the_average_in_and_back_out():
    model = torch.nn.Linear(3, 2)
    ema = WeightAverage(model, horizon=0.5)
    own = [p.detach().clone() for p in model.parameters()]
    for t in ema.shadow:
        t.fill_(7.0)
    with ema.applied(model):
        assert all(torch.all(p == 7.0) for p in model.parameters())
    for p, before in zip(model.parameters(), own, strict=True):
        assert torch.equal(p, before)
    restored = WeightAverage(model, horizon=0.5)
    restored.load_state_dict(ema.state_dict())
    assert all(torch.all(t == 7.0) for t in restored.shadow)
