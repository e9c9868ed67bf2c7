r"""Data-parallel training: the one loop of :func:`gan_helpers.train.train` on several processes.

PyTorch's ``DistributedDataParallel`` (DDP) :cite:p:`li2020pytorch` runs one
process per device (a GPU, or a share of the CPU); each holds a full copy of G
and D and computes the gradient of its own shard of the batch. Before the
optimiser steps, DDP averages the gradients over the :math:`W` processes
("ranks") with an all-reduce, so every rank takes the same step and the copies
stay equal. With a global batch of :math:`B` examples cut into :math:`W`
shards :math:`S_r` of :math:`B/W` each, and a loss that is a mean over the
batch,

.. math::

    \frac{1}{W} \sum_{r=1}^{W} \nabla_\theta \frac{W}{B} \sum_{i \in S_r} \ell_i
    = \nabla_\theta \frac{1}{B} \sum_{i=1}^{B} \ell_i ,

the gradient of one process on the whole batch. What this module adds to the
loop, through :class:`Parallel`:

* **Shards of one global batch.** Every rank seeds the run's generator with
  the same seed, draws the same global batch (real indices, z, classes) and
  keeps rows :math:`[rB/W, (r+1)B/W)`. The generators stay in step, so the
  run draws exactly what one process would.
* **Batch statistics of the global batch.** BatchNorm :cite:p:`ioffe2015batch`
  normalises with the mean and variance of the batch it sees; a rank sees only
  its shard. :meth:`Parallel.wrap` replaces every BatchNorm layer by one that
  all-reduces the statistics: ``torch.nn.SyncBatchNorm`` on GPUs, and on the
  CPU (where ``SyncBatchNorm`` refuses CPU tensors in torch 2.13)
  :class:`GlobalBatchNorm`, which all-reduces :math:`\sum x` and
  :math:`\sum (x - \mu)^2` with differentiable all-reduces. Dropout still
  draws its masks per rank (from torch's global RNG), so a D with dropout
  does not reproduce one process's run exactly.
* **Logs of the global batch.** :meth:`Parallel.mean_logs` averages each
  logged value over the ranks; rank 0 alone writes checkpoints and shows
  the progress bar.

:func:`init_from_env` starts a rank from the variables ``torchrun`` sets
(``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``):
NCCL on GPUs, gloo on the CPU. Without them it returns a :class:`Parallel` of
one process, which changes nothing.
"""

from __future__ import annotations

import itertools
import os

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from .utils import check_choice, check_int

__all__ = ["Parallel", "GlobalBatchNorm", "init_from_env", "shutdown", "BACKENDS"]

#: The process-group backends: NCCL for CUDA tensors, gloo for CPU tensors.
BACKENDS = ("nccl", "gloo")


class _SumOverRanks(torch.autograd.Function):
    """All-reduce (sum) that autograd differentiates: the gradient of a sum over ranks is the sum of the gradients."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        x = x.clone()
        dist.all_reduce(x)
        return x

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.clone()
        dist.all_reduce(grad)
        return grad


class GlobalBatchNorm(nn.modules.batchnorm._BatchNorm):
    r"""BatchNorm whose training-mode statistics are those of the batch summed over every rank.

    Over the :math:`n = \sum_r n_r` values of a channel on all ranks,
    :math:`\mu = \frac{1}{n}\sum x` and :math:`\sigma^2 = \frac{1}{n}\sum (x-\mu)^2`
    (two all-reduces, each differentiable, so the backward pass is the one of
    BatchNorm on the whole batch); the running variance takes the unbiased
    :math:`\sigma^2 n/(n-1)`, as ``nn.BatchNorm2d`` does. Outside a process
    group, or in eval mode, it is plain BatchNorm. Its parameters and buffers
    have BatchNorm's names, so state dicts and checkpoints do not change.
    """

    def _check_input_dim(self, input: torch.Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"GlobalBatchNorm needs input (B, C, ...), got shape {tuple(input.shape)}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` (B, C, ...) normalised per channel; statistics over every rank's batch when training."""
        self._check_input_dim(x)
        if not (self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        dims = [d for d in range(x.dim()) if d != 1]  # every axis but the channels
        shape = [1, -1] + [1] * (x.dim() - 2)
        n = torch.tensor(float(x.numel() // x.shape[1]), device=x.device, dtype=x.dtype)
        dist.all_reduce(n)  # values per channel, over every rank
        mean = _SumOverRanks.apply(x.sum(dims)) / n  # (C,)
        centred = x - mean.view(shape)
        var = _SumOverRanks.apply(centred.pow(2).sum(dims)) / n  # (C,), biased, as BatchNorm normalises
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                m = self.momentum if self.momentum is not None else 1.0 / self.num_batches_tracked.item()
                self.running_mean.mul_(1 - m).add_(m * mean.detach())
                self.running_var.mul_(1 - m).add_(m * var.detach() * n / (n - 1))
        out = centred * torch.rsqrt(var + self.eps).view(shape)
        if self.affine:
            out = out * self.weight.view(shape) + self.bias.view(shape)
        return out


def _global_batchnorm(module: nn.Module) -> nn.Module:
    """``module`` with every BatchNorm1d/2d/3d replaced in place by :class:`GlobalBatchNorm` holding the same tensors."""
    for name, child in module.named_children():
        if isinstance(child, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)) and not isinstance(
            child, GlobalBatchNorm
        ):
            new = GlobalBatchNorm(
                child.num_features, child.eps, child.momentum, child.affine, child.track_running_stats
            )
            for key, value in itertools.chain(
                child.named_parameters(recurse=False), child.named_buffers(recurse=False)
            ):
                setattr(new, key, value)  # the same tensors: an optimiser made before keeps working
            new.train(child.training)
            setattr(module, name, new)
        else:
            _global_batchnorm(child)
    return module


class Parallel:
    """One process's place in a data-parallel run, for :func:`gan_helpers.train.train` (``parallel=``).

    ``rank`` in ``[0, world_size)``; ``device`` this rank trains on;
    ``sync_batchnorm``: BatchNorm over the global batch (see the module's
    notes), default True. ``Parallel()`` is a run of one process: every
    method is then the identity.
    """

    def __init__(
        self, rank: int = 0, world_size: int = 1, device: str | torch.device = "cpu", sync_batchnorm: bool = True
    ):
        self.world_size = check_int("world_size", world_size, minimum=1)
        self.rank = check_int("rank", rank, minimum=0)
        if self.rank >= self.world_size:
            raise ValueError(f"rank must be in [0, world_size={self.world_size}), got {rank}")
        self.device = torch.device(device)
        if not isinstance(sync_batchnorm, bool):
            raise ValueError(f"sync_batchnorm must be True or False, got {sync_batchnorm!r}")
        self.sync_batchnorm = sync_batchnorm

    def __repr__(self) -> str:
        return f"Parallel(rank={self.rank}, world_size={self.world_size}, device={str(self.device)!r})"

    @property
    def is_main(self) -> bool:
        """True on rank 0, the one that writes checkpoints and logs."""
        return self.rank == 0

    def check_batch_size(self, batch_size: int) -> int:
        """``batch_size`` itself; ``ValueError`` unless the ranks can share it equally."""
        if batch_size % self.world_size:
            raise ValueError(
                f"batch_size ({batch_size}) must be a multiple of world_size ({self.world_size}): each rank takes an equal shard"
            )
        return batch_size

    def shard(self, batch: torch.Tensor) -> torch.Tensor:
        """This rank's rows of a global batch (B, ...): rows [rank B/W, (rank+1) B/W)."""
        per_rank = self.check_batch_size(len(batch)) // self.world_size
        return batch[self.rank * per_rank : (self.rank + 1) * per_rank]

    def wrap(self, module: nn.Module) -> nn.Module:
        """``module`` wrapped in DDP (with global BatchNorm if ``sync_batchnorm``); unchanged for one process.

        The BatchNorm layers are replaced in ``module`` itself, keeping their
        weights and names; the returned wrapper shares ``module``'s parameters.
        """
        if self.world_size == 1:
            return module
        if self.sync_batchnorm:
            if self.device.type == "cuda":
                module = nn.SyncBatchNorm.convert_sync_batchnorm(module)
            else:
                module = _global_batchnorm(module)
        ids = [self.device.index] if self.device.type == "cuda" and self.device.index is not None else None
        return DistributedDataParallel(module, device_ids=ids)

    def mean_logs(self, logs: dict[str, float]) -> dict[str, float]:
        """Each value averaged over the ranks (every rank must pass the same keys in the same order)."""
        if self.world_size == 1:
            return dict(logs)
        values = torch.tensor([float(v) for v in logs.values()], dtype=torch.float64, device=self.device)
        dist.all_reduce(values)
        return dict(zip(logs, (values / self.world_size).tolist()))

    def barrier(self) -> None:
        """Wait until every rank gets here (nothing for one process)."""
        if self.world_size > 1:
            dist.barrier()


def init_from_env(backend: str | None = None, sync_batchnorm: bool = True) -> Parallel:
    """Join the process group that ``torchrun`` describes in the environment; a one-process :class:`Parallel` without it.

    ``backend``: one of :data:`BACKENDS`; default NCCL when CUDA is present
    (each rank then uses GPU ``LOCAL_RANK``), gloo on the CPU.
    """
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        return Parallel(device="cuda" if torch.cuda.is_available() else "cpu", sync_batchnorm=sync_batchnorm)
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if torch.cuda.is_available():
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    backend = check_choice("backend", backend or ("nccl" if device.type == "cuda" else "gloo"), BACKENDS)
    if not dist.is_initialized():
        dist.init_process_group(backend, rank=rank, world_size=world_size)
    return Parallel(rank, world_size, device, sync_batchnorm)


def shutdown(parallel: Parallel) -> None:
    """Wait for every rank, then leave the process group (nothing for one process)."""
    if parallel.world_size > 1 and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
