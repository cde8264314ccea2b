// Tensor: a strided view (shape, strides, offset, dtype) over shared storage.
// Views share the storage; nothing here copies unless its name says so.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "rusttorch/dtype.h"
#include "rusttorch/error.h"
#include "rusttorch/scalar.h"

namespace rusttorch {

using Shape = std::vector<int64_t>;  // sizes or strides (strides in elements, as torch)
class Generator;
namespace autograd {
struct AutogradMeta;
class Node;
}  // namespace autograd

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<bool>() { return DType::Bool; }
template <> constexpr DType dtype_of<int32_t>() { return DType::Int32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::Int64; }
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<double>() { return DType::Float64; }

class Tensor {
 public:
  Tensor() = default;  // undefined tensor; most calls on it throw

  // ---- creation (engine/creation.cpp) ----
  static Tensor empty(const Shape& shape, DType dtype = kDefaultFloat);
  static Tensor zeros(const Shape& shape, DType dtype = kDefaultFloat);
  static Tensor ones(const Shape& shape, DType dtype = kDefaultFloat);
  static Tensor full(const Shape& shape, Scalar value, DType dtype);
  static Tensor full(const Shape& shape, Scalar value);  // dtype from the value, as torch.full
  static Tensor scalar_tensor(Scalar value, DType dtype);
  static Tensor scalar_tensor(Scalar value) { return scalar_tensor(value, value.default_dtype()); }
  // torch.arange: integer dtype when all three are integers, else the default float.
  static Tensor arange(Scalar end);
  static Tensor arange(Scalar start, Scalar end, Scalar step = 1);
  static Tensor arange(Scalar start, Scalar end, Scalar step, DType dtype);
  static Tensor linspace(double start, double end, int64_t steps, DType dtype = kDefaultFloat);
  static Tensor eye(int64_t n, int64_t m = -1, DType dtype = kDefaultFloat);
  static Tensor rand(const Shape& shape, DType dtype = kDefaultFloat, Generator* gen = nullptr);
  static Tensor randn(const Shape& shape, DType dtype = kDefaultFloat, Generator* gen = nullptr);
  static Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype = DType::Int64,
                        Generator* gen = nullptr);
  // Copies `data` into new storage.
  template <class T>
  static Tensor from_vec(const std::vector<T>& data, const Shape& shape);
  template <class T>
  static Tensor from_vec(const std::vector<T>& data) {
    return from_vec(data, Shape{static_cast<int64_t>(data.size())});
  }
  // Zero-copy view of external memory kept alive by `owner` (NumPy, DLPack).
  // `storage_bytes` bounds what the view may reach; it is checked.
  static Tensor from_blob(void* data, const Shape& shape, const Shape& strides, DType dtype,
                          std::shared_ptr<void> owner, int64_t storage_bytes);

  // ---- properties ----
  bool defined() const { return static_cast<bool>(storage_); }
  const Shape& shape() const { return shape_; }
  const Shape& sizes() const { return shape_; }
  const Shape& strides() const { return strides_; }
  int64_t size(int64_t dim) const;
  int64_t stride(int64_t dim) const;
  int64_t ndim() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim() const { return ndim(); }
  int64_t numel() const { return numel_; }
  DType dtype() const { return dtype_; }
  std::size_t itemsize() const { return rusttorch::itemsize(dtype_); }
  int64_t storage_offset() const { return offset_; }
  bool is_contiguous() const;
  // Pointer to element [0,...,0]; for views this is inside the shared storage.
  void* data_ptr() const { return static_cast<char*>(storage_.get()) + offset_ * static_cast<int64_t>(itemsize()); }
  template <class T>
  T* data() const {
    check_dtype_of(dtype_of<T>());
    return static_cast<T*>(data_ptr());
  }
  const std::shared_ptr<void>& storage() const { return storage_; }
  int64_t storage_nbytes() const { return storage_nbytes_; }
  bool shares_storage_with(const Tensor& o) const { return storage_ == o.storage_; }

  Scalar item() const;                   // one-element tensors only
  template <class T>
  std::vector<T> to_vec() const;         // row-major copy, converted to T
  std::string to_string() const;         // torch-like repr: tensor([...])

  // ---- views (engine/views.cpp) ----
  Tensor view(const Shape& shape) const;       // error when strides make it impossible
  Tensor reshape(const Shape& shape) const;    // view when possible, else a contiguous copy
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor t() const;                            // 0-, 1- and 2-D only, as torch
  Tensor permute(const Shape& dims) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;  // Python slice rules
  Tensor select(int64_t dim, int64_t index) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor expand(const Shape& shape) const;     // -1 keeps a size
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor as_strided(const Shape& shape, const Shape& strides, int64_t offset) const;
  Tensor contiguous() const;                   // self when already contiguous
  Tensor clone() const;                        // always a new contiguous copy
  Tensor to(DType dtype) const;                // self when the dtype already matches

  // ---- writes (engine/copy.cpp) ----
  Tensor& copy_(const Tensor& src);            // broadcasts src, converts dtype
  Tensor& fill_(Scalar value);

  // ---- autograd (engine/autograd/, rusttorch/autograd.h) ----
  bool requires_grad() const;
  Tensor& requires_grad_(bool requires_grad = true);  // leaves only; floating dtypes only
  const Tensor& grad() const;                         // undefined until a backward reaches it
  void set_grad(const Tensor& grad);                  // an undefined Tensor clears it
  std::shared_ptr<autograd::Node> grad_fn() const;    // null for leaves
  bool is_leaf() const;
  uint32_t output_nr() const;
  Tensor detach() const;                              // same storage, out of the graph
  Tensor& detach_();
  void retain_grad();                                 // keep .grad of a non-leaf
  bool retains_grad() const;
  // A hook on the gradient of this tensor (see autograd::Hook); returns an id for remove_hook.
  int64_t register_hook(std::function<Tensor(const Tensor&)> hook);
  void remove_hook(int64_t id);
  void backward() const;  // of a one-element tensor
  void backward(const Tensor& gradient, std::optional<bool> retain_graph = std::nullopt, bool create_graph = false) const;
  void backward(const Tensor& gradient, std::optional<bool> retain_graph, bool create_graph,
                const std::vector<Tensor>& inputs) const;
  // Bumped by every write into the storage (in-place ops, out=, copy_); shared by all views.
  uint32_t version() const { return version_ ? version_->load(std::memory_order_relaxed) : 0; }
  void bump_version() const {
    if (version_) version_->fetch_add(1, std::memory_order_relaxed);
  }
  // True when the tensor takes part in autograd at all (one pointer test: the fast paths use it).
  bool has_autograd() const { return static_cast<bool>(autograd_); }
  const std::shared_ptr<autograd::AutogradMeta>& autograd_meta() const { return autograd_; }
  autograd::AutogradMeta& mutable_autograd_meta();    // created on first use
  void set_autograd_meta(std::shared_ptr<autograd::AutogradMeta> meta);

 private:
  friend class TensorAccess;
  void check_dtype_of(DType want) const;
  std::shared_ptr<void> storage_;
  std::atomic<uint32_t>* version_ = nullptr;          // lives in the storage's control block
  std::shared_ptr<autograd::AutogradMeta> autograd_;
  int64_t storage_nbytes_ = 0;
  Shape shape_, strides_;
  int64_t offset_ = 0;
  int64_t numel_ = 0;
  DType dtype_ = kDefaultFloat;
};

Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, Scalar value);
Tensor rand_like(const Tensor& t, Generator* gen = nullptr);
Tensor randn_like(const Tensor& t, Generator* gen = nullptr);

// Contiguous strides for a shape; numel with overflow and negative-size checks.
Shape contiguous_strides(const Shape& shape);
int64_t checked_numel(const Shape& shape);
// Wraps a possibly negative dim into [0, ndim); IndexError like torch otherwise.
int64_t wrap_dim(int64_t dim, int64_t ndim);
std::string shape_str(const Shape& s);  // "[2, 3]"

}  // namespace rusttorch
