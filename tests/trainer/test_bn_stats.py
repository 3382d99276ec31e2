import torch

from lmsdk.trainer.bn_stats import recompute_batchnorm_statistics


def test_recomputed_statistics_are_the_exact_average_of_batches():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 1), torch.nn.BatchNorm2d(3))
    batches = [torch.randn(4, 2, 5, 5) * (i + 1) + i for i in range(6)]
    recompute_batchnorm_statistics(model, lambda i: model(batches[i]), len(batches))
    feats = [model[0](b).detach() for b in batches]
    means = torch.stack([f.mean(dim=(0, 2, 3)) for f in feats]).mean(0)
    variances = torch.stack([f.var(dim=(0, 2, 3), unbiased=True) for f in feats]).mean(0)
    bn = model[1]
    assert torch.allclose(bn.running_mean, means, atol=1e-5)
    assert torch.allclose(bn.running_var, variances, atol=1e-4)
    assert not model.training and bn.momentum == 0.1
