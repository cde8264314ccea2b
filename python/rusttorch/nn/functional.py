"""rusttorch.nn.functional: the functional neural-network ops, with
torch.nn.functional's names and signatures."""
from __future__ import annotations

import warnings
from typing import Any, Optional

from .. import _C
from .._C import Tensor, dtype
from .._tensor_methods import broadcast_tensors as _broadcast_tensors
from ._padding import pad

__all__ = [
    "linear", "relu", "relu_", "relu6", "elu", "elu_", "celu", "celu_", "selu", "selu_", "silu", "mish", "gelu",
    "leaky_relu", "leaky_relu_", "hardtanh", "hardtanh_", "hardsigmoid", "hardswish", "softplus", "softsign",
    "sigmoid", "logsigmoid", "tanh", "softmax", "log_softmax",
]


def linear(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """``input @ weight.T + bias``; input (..., in), weight (out, in) or (in), bias (out)."""
    return _C._linear(input, weight, bias)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return _C.relu_(input) if inplace else _C.relu(input)


def relu_(input: Tensor) -> Tensor:
    return _C.relu_(input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return _C.relu6_(input) if inplace else _C.relu6(input)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _C.elu_(input, alpha) if inplace else _C.elu(input, alpha)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _C.elu_(input, alpha)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _C.celu_(input, alpha) if inplace else _C.celu(input, alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _C.celu_(input, alpha)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    return _C.selu_(input) if inplace else _C.selu(input)


def selu_(input: Tensor) -> Tensor:
    return _C.selu_(input)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    return _C.silu_(input) if inplace else _C.silu(input)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    return _C.mish_(input) if inplace else _C.mish(input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    return _C.gelu(input, approximate=approximate)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return _C.leaky_relu_(input, negative_slope) if inplace else _C.leaky_relu(input, negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return _C.leaky_relu_(input, negative_slope)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _C.hardtanh_(input, min_val, max_val) if inplace else _C.hardtanh(input, min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    # torch does not check the bounds here: min(max(x, min_val), max_val) is max_val when they cross
    min_val = min(min_val, max_val)
    return _C.hardtanh_(input, min_val, max_val)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    return _C.hardsigmoid_(input) if inplace else _C.hardsigmoid(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    return _C.hardswish_(input) if inplace else _C.hardswish(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return _C.softplus(input, beta, threshold)


def softsign(input: Tensor) -> Tensor:
    return _C.softsign(input)


def sigmoid(input: Tensor) -> Tensor:
    return _C.sigmoid(input)


def logsigmoid(input: Tensor) -> Tensor:
    return _C.logsigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return _C.tanh(input)


def _softmax_dim(ndim: int, name: str) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3,
            dtype: Optional[dtype] = None) -> Tensor:
    if dim is None:
        dim = _softmax_dim(input.ndim, "softmax")
    return _C.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3,
                dtype: Optional[dtype] = None) -> Tensor:
    if dim is None:
        dim = _softmax_dim(input.ndim, "log_softmax")
    return _C.log_softmax(input, dim, dtype)


# ---- composed ops (autograd records their parts) ----
def softmin(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3, dtype: Optional[dtype] = None) -> Tensor:
    if dim is None:
        dim = _softmax_dim(input.ndim, "softmin")
    return _C.softmax(-input, dim, dtype)


def tanhshrink(input: Tensor) -> Tensor:
    return input - _C.tanh(input)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    out = _C.where(input > threshold, input, _C.scalar_tensor(value, dtype=input.dtype))
    return input.copy_(out) if inplace else out


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    return _C.where((input > lambd) | (input < -lambd), input, _C.zeros_like(input))


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    zero = _C.zeros_like(input)
    return _C.where(input > lambd, input - lambd, _C.where(input < -lambd, input + lambd, zero))


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    w = weight
    if weight.numel() != 1:
        if input.ndim < 2 or input.shape[1] != weight.numel():
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{weight.numel()} and channel size = {input.shape[1] if input.ndim >= 2 else 1}.")
        w = weight.reshape((weight.numel(),) + (1,) * (input.ndim - 2))
    return _C.where(input >= 0, input, w * input)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.ndim} is size "
                           f"{input.shape[dim]}")
    a, b = _C.chunk(input, 2, dim)
    return a * _C.sigmoid(b)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """y[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j] + b[o], through one GEMM."""
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D, got {weight.ndim}-D")
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1 or input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input sizes {tuple(input1.shape)} and {tuple(input2.shape)} do not match "
                           f"weight {tuple(weight.shape)}")
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError("bilinear(): input batch dimensions do not match: got "
                           f"{tuple(input1.shape[:-1])} and {tuple(input2.shape[:-1])}")
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    t = _C.matmul(x1, weight.permute(1, 0, 2).reshape(in1, out_f * in2))  # (B, out*in2)
    y = (t.reshape(-1, out_f, in2) * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(lead + (out_f,))


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes each element with probability p and scales the rest by 1/(1-p);
    the mask comes from rusttorch's generator (rusttorch.manual_seed)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input.mul_(0) if inplace else input * 0
    keep = _C.rand(input.shape, dtype=input.dtype if input.is_floating_point() else _C.float32) >= p
    scale = keep.to(input.dtype) * (1.0 / (1.0 - p))
    return input.mul_(scale) if inplace else input * scale


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input.mul_(0) if inplace else input * 0
    alpha_p = -1.7580993408473766  # -selu's scale * alpha
    keep = (_C.rand(input.shape, dtype=input.dtype) >= p).to(input.dtype)
    a = ((1 - p) * (1 + p * alpha_p**2)) ** -0.5
    b = -a * alpha_p * p
    out = (input * keep + alpha_p * (1 - keep)) * a + b
    return input.copy_(out) if inplace else out


def _padding_idx(padding_idx: Optional[int], num_embeddings: int) -> Optional[int]:
    """padding_idx checked against the table and made non-negative (torch's rule)."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx + num_embeddings if padding_idx < 0 else padding_idx


def embedding(input: Tensor, weight: Tensor, padding_idx: Optional[int] = None, max_norm: Optional[float] = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    if input.dtype not in (_C.int64, _C.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.dtype} instead (while checking arguments for embedding)")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    n = weight.shape[0]
    padding_idx = _padding_idx(padding_idx, n)
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: scale_grad_by_freq and sparse gradients are not supported")
    if input.numel() and (int(input.amin()) < 0 or int(input.amax()) >= n):
        raise IndexError("index out of range in self")  # torch's words (negative indices too)
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    flat = input.reshape(-1)
    out = weight[flat]
    if padding_idx is not None and weight.requires_grad and _C.is_grad_enabled():
        # the padding row gets no gradient: its rows are taken out of the graph
        pad = (flat == padding_idx).unsqueeze(1)
        out = _C.where(pad, out.detach(), out)
    return out.reshape(tuple(input.shape) + (weight.shape[1],))


def _embedding_renorm_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    from ..autograd.grad_mode import no_grad

    with no_grad():
        for i in sorted(set(input.reshape(-1).tolist())):
            row = weight[i]
            nrm = float(row.norm(norm_type))
            if nrm > max_norm:
                weight[i] = row * (max_norm / (nrm + 1e-7))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    if tensor.dtype != _C.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel() and int(tensor.min()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(tensor.max()) + 1 if tensor.numel() else 0
    elif tensor.numel() and int(tensor.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return (tensor.unsqueeze(-1) == _C.arange(num_classes)).long()


def _norm_shape(input: Tensor, normalized_shape: Any, name: str) -> tuple:
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != shape or input.ndim < k:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape [*, "
                           f"{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    return tuple(range(input.ndim - k, input.ndim))


def layer_norm(input: Tensor, normalized_shape: Any, weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               eps: float = 1e-5) -> Tensor:
    dims = _norm_shape(input, normalized_shape, "layer_norm")
    mean = input.mean(dims, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(dims, keepdim=True)
    out = centered * _C.rsqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def rms_norm(input: Tensor, normalized_shape: Any, weight: Optional[Tensor] = None,
             eps: Optional[float] = None) -> Tensor:
    dims = _norm_shape(input, normalized_shape, "rms_norm")
    if eps is None:
        eps = 1.1920928955078125e-07 if input.dtype == _C.float32 else 2.220446049250313e-16
    out = input * _C.rsqrt((input * input).mean(dims, keepdim=True) + eps)
    return out * weight if weight is not None else out


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    denom = input.norm(p, dim, keepdim=True).clamp(min=eps)
    return input / denom


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """torch's formula: each input divided by its norm (clamped to eps), then the dot product."""
    x1, x2 = _broadcast_tensors(x1, x2) if x1.shape != x2.shape else (x1, x2)
    n1 = x1.norm(2, dim, keepdim=True).clamp(min=eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    d = max(x1.ndim, x2.ndim)
    out = (x1 - x2 + eps).norm(p, d - 1 if d > 0 else 0, keepdim=keepdim) if d > 0 else (x1 - x2 + eps).abs()
    return out


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return input.flatten(start_dim, end_dim)


# ---- losses ----
def _reduction(size_average: Optional[bool], reduce: Optional[bool], reduction: str) -> str:
    """torch's legacy size_average/reduce arguments, folded into reduction."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = ("mean" if size_average else "sum") if reduce else "none"
        warnings.warn("size_average and reduce args will be deprecated, please use reduction='"
                      f"{reduction}' instead.", stacklevel=3)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _pointwise_operands(input: Tensor, target: Tensor, name: str) -> tuple:
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)
        return _broadcast_tensors(input, target)
    return input, target


def mse_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
             reduction: str = "mean", weight: Optional[Tensor] = None) -> Tensor:
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _pointwise_operands(input, target, "mse_loss")
    d = input - target
    loss = d * d
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
            reduction: str = "mean", weight: Optional[Tensor] = None) -> Tensor:
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _pointwise_operands(input, target, "l1_loss")
    loss = (input - target).abs()
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None,
                   reduce: Optional[bool] = None, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    input, target = _pointwise_operands(input, target, "smooth_l1_loss")
    d = (input - target).abs()
    if beta == 0.0:
        return _reduce(d, reduction)
    loss = _C.where(d < beta, d * d * (0.5 / beta), d - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Optional[Tensor] = None) -> Tensor:
    reduction = _reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    input, target = _pointwise_operands(input, target, "huber_loss")
    d = (input - target).abs()
    loss = _C.where(d < delta, d * d * 0.5, (d - 0.5 * delta) * delta)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                  size_average: Optional[bool] = None, ignore_index: int = -100, reduce: Optional[bool] = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """log_softmax and the negative log-likelihood in one fused pass (per-ISA
    kernels), forward and backward; class indices or class probabilities."""
    reduction = _reduction(size_average, reduce, reduction)
    return _C._cross_entropy(input, target, weight, reduction, ignore_index, label_smoothing)


def nll_loss(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, size_average: Optional[bool] = None,
             ignore_index: int = -100, reduce: Optional[bool] = None, reduction: str = "mean") -> Tensor:
    reduction = _reduction(size_average, reduce, reduction)
    return _C._nll_loss(input, target, weight, reduction, ignore_index)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                                     size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                                     reduction: str = "mean", pos_weight: Optional[Tensor] = None) -> Tensor:
    reduction = _reduction(size_average, reduce, reduction)
    return _C._binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                         size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                         reduction: str = "mean") -> Tensor:
    """torch's formula, logs clamped at -100 so that 0 and 1 give finite losses."""
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    if input.numel() and not bool(((input >= 0) & (input <= 1)).all()):  # NaN fails both
        raise RuntimeError("all elements of input should be between 0 and 1")
    if weight is not None and weight.shape != input.shape:
        weight = weight.expand(input.shape)
    log_x = _C.log(input).clamp(min=-100)
    log_1mx = _C.log(1 - input).clamp(min=-100)
    loss = -(target * log_x + (1 - target) * log_1mx)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = _C.exp(target) * (target - input)
    else:  # xlogy(t, t) - t * input, with 0 log 0 = 0 (and no nan gradient through the masked branch)
        pos = target > 0
        safe = _C.where(pos, target, _C.ones_like(target))
        loss = target * _C.log(safe) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


# ---- convolution (engine/conv.cpp: im2col / col2im kernels and the packed GEMM) ----

def _conv(dims: int, input: Tensor, weight: Tensor, bias: Optional[Tensor], stride: Any, padding: Any,
          dilation: Any, groups: int) -> Tensor:
    return _C._convolution(input, weight, bias, dims, stride, padding, dilation, False, 0, groups)


def conv1d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    return _conv(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    return _conv(2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    return _conv(3, input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose(dims: int, input: Tensor, weight: Tensor, bias: Optional[Tensor], stride: Any, padding: Any,
                    output_padding: Any, groups: int, dilation: Any) -> Tensor:
    if isinstance(padding, str):
        raise TypeError(f"conv_transpose{dims}d(): argument 'padding' must be tuple of ints, not str")
    return _C._convolution(input, weight, bias, dims, stride, padding, dilation, True, output_padding, groups)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    return _conv_transpose(1, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    return _conv_transpose(2, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    return _conv_transpose(3, input, weight, bias, stride, padding, output_padding, groups, dilation)


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """The sliding blocks of a (N, C, H, W) or (C, H, W) input as columns (im2col)."""
    return _C._unfold(input, kernel_size, dilation, padding, stride)


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """Sums columns of sliding blocks back into an image (col2im), unfold's adjoint."""
    return _C._fold(input, output_size, kernel_size, dilation, padding, stride)


__all__ += ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "unfold",
            "fold"]


# ---- pooling (engine/pool.cpp: per-ISA window kernels; 1-D as 2-D over a height of one) ----

def _stride_arg(stride: Any) -> Any:
    return None if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else stride


def _one(v: Any, name: str, op: str) -> list:
    """A 1-D pooling parameter as the [1, v] of the 2-D pooling under it."""
    if isinstance(v, (list, tuple)):
        if len(v) != 1:
            raise RuntimeError(f"{op}: {name} must be a single int, or a tuple of one int")
        v = v[0]
    return [1, v]


def _pool1d_input(input: Tensor, op: str) -> Tensor:
    if input.dim() not in (2, 3):
        raise RuntimeError(f"{op}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:{list(input.shape)}")
    return input.unsqueeze(-2)


def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                            dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = True) -> tuple:
    return _C._max_pool2d(input, kernel_size, _stride_arg(stride), padding, dilation, ceil_mode)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    values, indices = _C._max_pool2d(input, kernel_size, _stride_arg(stride), padding, dilation, ceil_mode)
    return (values, indices) if return_indices else values


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    op = "max_pool1d"
    stride = _stride_arg(stride)
    values, indices = _C._max_pool2d(_pool1d_input(input, op), _one(kernel_size, "kernel_size", op),
                                     None if stride is None else _one(stride, "stride", op),
                                     [0, _one(padding, "padding", op)[1]], _one(dilation, "dilation", op), ceil_mode)
    values, indices = values.squeeze(-2), indices.squeeze(-2)
    return (values, indices) if return_indices else values


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: Optional[int] = None) -> Tensor:
    return _C._avg_pool2d(input, kernel_size, _stride_arg(stride), padding, ceil_mode, count_include_pad,
                          divisor_override)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    op = "avg_pool1d"
    stride = _stride_arg(stride)
    return _C._avg_pool2d(_pool1d_input(input, op), _one(kernel_size, "kernel_size", op),
                          None if stride is None else _one(stride, "stride", op),
                          [0, _one(padding, "padding", op)[1]], ceil_mode, count_include_pad, None).squeeze(-2)


__all__ += ["max_pool1d", "max_pool2d", "max_pool2d_with_indices", "avg_pool1d", "avg_pool2d"]


# ---- batch / instance / group normalization (composed of differentiable ops, like layer_norm) ----

def _channel_shape(input: Tensor) -> list:
    """[1, C, 1, ...]: a per-channel vector broadcast against input (N, C, *)."""
    return [1, input.shape[1]] + [1] * (input.ndim - 2)


def _check_numel(name: str, t: Optional[Tensor], expected: int) -> None:
    if t is not None and t.numel() != expected:
        raise RuntimeError(f"{name} should contain {expected} elements not {t.numel()}")


def _verify_batch_size(size: Any) -> None:
    prod = size[0]
    for i in range(len(size) - 2):
        prod *= size[i + 2]
    if prod == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def _verify_spatial_size(size: Any) -> None:
    prod = 1
    for i in range(2, len(size)):
        prod *= size[i]
    if prod == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {size}")



def _affine(out: Tensor, weight: Optional[Tensor], bias: Optional[Tensor], cshape: Any) -> Tensor:
    """out * weight + bias, the per-channel vectors shaped as cshape."""
    if weight is not None:
        out = out * weight.reshape(cshape)
    if bias is not None:
        out = out + bias.reshape(cshape)
    return out

def _update_running(running: Optional[Tensor], stat: Tensor, momentum: float) -> None:
    if running is not None:
        from ..autograd.grad_mode import no_grad
        with no_grad():
            running.mul_(1.0 - momentum).add_(stat.detach().reshape(running.shape).to(running.dtype) * momentum)


def _batch_norm_impl(input: Tensor, running_mean: Optional[Tensor], running_var: Optional[Tensor],
                     weight: Optional[Tensor], bias: Optional[Tensor], training: bool, momentum: float,
                     eps: float) -> Tensor:
    """torch.batch_norm without the python-level batch-size check: statistics over every dim but 1."""
    if momentum is None or isinstance(momentum, bool) or not isinstance(momentum, (int, float)):
        raise TypeError(f"batch_norm(): argument 'momentum' (position 7) must be float, not "
                        f"{type(momentum).__name__}")
    num_features = input.shape[1] if input.ndim > 1 else 0
    if running_mean is not None:
        _check_numel("running_mean", running_mean, num_features)
    elif not training:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    if running_var is not None:
        _check_numel("running_var", running_var, num_features)
    elif not training:
        raise RuntimeError("running_var must be defined in evaluation mode")
    _check_numel("weight", weight, num_features)
    _check_numel("bias", bias, num_features)
    cshape = _channel_shape(input)
    if training:
        dims = [d for d in range(input.ndim) if d != 1]
        n = input.numel() // num_features if num_features else 0
        mean = input.mean(dims, keepdim=True)
        centered = input - mean
        var = (centered * centered).mean(dims, keepdim=True)
        out = centered * _C.rsqrt(var + eps)
        _update_running(running_mean, mean, momentum)
        if running_var is not None:
            _update_running(running_var, var * (n / (n - 1) if n > 1 else float("inf")), momentum)
    else:
        out = (input - running_mean.reshape(cshape)) * _C.rsqrt(running_var.reshape(cshape) + eps)
    return _affine(out, weight, bias, cshape)


def batch_norm(input: Tensor, running_mean: Optional[Tensor], running_var: Optional[Tensor],
               weight: Optional[Tensor] = None, bias: Optional[Tensor] = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalizes each channel (dim 1) over the batch and spatial dims; in training, updates the running
    stats in place (running_var with the unbiased batch variance)."""
    if training:
        _verify_batch_size(input.shape)
    return _batch_norm_impl(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input: Tensor, running_mean: Optional[Tensor] = None, running_var: Optional[Tensor] = None,
                  weight: Optional[Tensor] = None, bias: Optional[Tensor] = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalizes each (sample, channel) over the spatial dims; running stats, when given, are updated with
    the batch average of the per-instance statistics, as torch does."""
    if use_input_stats:
        _verify_spatial_size(input.shape)
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    shape = list(input.shape)
    b, c = shape[0], shape[1]
    # torch repeats the per-channel tensors over the batch and checks them against (1, b * c, *)
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and t.numel() * b != b * c:
            raise RuntimeError(f"{name} should contain {b * c} elements not {t.numel() * b}")
    cshape = _channel_shape(input)
    if use_input_stats:
        dims = list(range(2, input.ndim))
        n = input.numel() // (b * c) if b * c else 0
        mean = input.mean(dims, keepdim=True)
        centered = input - mean
        var = (centered * centered).mean(dims, keepdim=True)
        out = centered * _C.rsqrt(var + eps)
        if running_mean is not None:
            _update_running(running_mean, mean.mean(0), momentum)
        if running_var is not None:
            _update_running(running_var, (var * (n / (n - 1) if n > 1 else float("inf"))).mean(0), momentum)
    else:
        out = (input - running_mean.reshape(cshape)) * _C.rsqrt(running_var.reshape(cshape) + eps)
    return _affine(out, weight, bias, cshape)


def group_norm(input: Tensor, num_groups: int, weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               eps: float = 1e-5) -> Tensor:
    """Normalizes each sample over groups of num_groups consecutive channels (and the spatial dims)."""
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    shape = list(input.shape)
    _verify_batch_size([shape[0] * shape[1] // num_groups, num_groups] + shape[2:])
    n, c = shape[0], shape[1]
    if c % num_groups != 0:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input "
                           f"of shape {shape} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(t.shape)} and input of shape {shape}")
    x = input.reshape([n, num_groups, -1])
    mean = x.mean([2], keepdim=True)
    centered = x - mean
    var = (centered * centered).mean([2], keepdim=True)
    out = (centered * _C.rsqrt(var + eps)).reshape(shape)
    cshape = _channel_shape(input)
    return _affine(out, weight, bias, cshape)


__all__ += ["batch_norm", "instance_norm", "group_norm"]

__all__ += ["pad"]
