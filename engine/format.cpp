// Tensor::to_string, following torch/_tensor_str.py: one width for every
// element, integer-valued floats as "1.", 4 decimals, scientific notation when
// the magnitudes span more than 1e3 (or pass 1e8 / fall under 1e-4), and
// summaries with "..." past 1000 elements (3 edge items per dim).
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "rusttorch/autograd.h"
#include "rusttorch/tensor.h"

namespace rusttorch {
namespace {

constexpr int64_t kThreshold = 1000;
constexpr int64_t kEdge = 3;
constexpr int64_t kLineWidth = 80;

struct Formatter {
  DType dtype;
  bool int_mode = true, sci = false;
  std::size_t width = 1;

  explicit Formatter(DType t, const std::vector<double>& vals) : dtype(t) {
    if (!is_floating(t)) {
      for (double v : vals) width = std::max(width, raw(v).size());
      return;
    }
    // torch sizes the columns by the nonzero finite values only.
    std::vector<double> nz;
    for (double v : vals)
      if (std::isfinite(v) && v != 0) nz.push_back(v);
    if (nz.empty()) return;
    double lo = 1e308, hi = 0;
    for (double v : nz) {
      lo = std::min(lo, std::fabs(v));
      hi = std::max(hi, std::fabs(v));
      if (v != std::ceil(v)) int_mode = false;
    }
    sci = hi / lo > 1000.0 || hi > 1e8 || (!int_mode && lo < 1e-4);
    for (double v : nz) width = std::max(width, raw(v).size());
  }

  std::string raw(double v) const {
    char buf[64];
    if (dtype == DType::Bool) return v != 0 ? "True" : "False";
    if (!is_floating(dtype)) {
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
      return buf;
    }
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    if (sci) std::snprintf(buf, sizeof buf, "%.4e", v);
    else if (int_mode) std::snprintf(buf, sizeof buf, "%.0f.", v);
    else std::snprintf(buf, sizeof buf, "%.4f", v);
    return buf;
  }
  std::string operator()(double v) const {
    std::string s = raw(v);
    return std::string(width > s.size() ? width - s.size() : 0, ' ') + s;
  }
};

// Indices kept along a dim of size n when summarizing (-1 marks the "...").
std::vector<int64_t> kept(int64_t n, bool summarize) {
  std::vector<int64_t> idx;
  if (summarize && n > 2 * kEdge) {
    for (int64_t i = 0; i < kEdge; ++i) idx.push_back(i);
    idx.push_back(-1);
    for (int64_t i = n - kEdge; i < n; ++i) idx.push_back(i);
  } else {
    for (int64_t i = 0; i < n; ++i) idx.push_back(i);
  }
  return idx;
}

void collect(const Tensor& t, bool summarize, std::vector<double>& out) {
  if (t.ndim() == 0) {
    out.push_back(t.item().to_double());
    return;
  }
  if (t.ndim() == 1) {
    const std::vector<double> v = t.to_vec<double>();
    for (int64_t i : kept(t.shape()[0], summarize))
      if (i >= 0) out.push_back(v[static_cast<std::size_t>(i)]);
    return;
  }
  for (int64_t i : kept(t.shape()[0], summarize))
    if (i >= 0) collect(t.select(0, i), summarize, out);
}

std::string render(const Tensor& t, const Formatter& f, bool summarize, int64_t indent) {
  if (t.ndim() == 0) return f(t.item().to_double());
  if (t.ndim() == 1) {
    const std::vector<double> v = t.to_vec<double>();
    const int64_t per_line = std::max<int64_t>(1, (kLineWidth - indent) / static_cast<int64_t>(f.width + 2));
    std::string s = "[";
    int64_t col = 0;
    const std::vector<int64_t> idx = kept(t.shape()[0], summarize);
    for (std::size_t j = 0; j < idx.size(); ++j) {
      if (j) {
        s += ",";
        if (col == per_line) {
          s += "\n" + std::string(static_cast<std::size_t>(indent + 1), ' ');
          col = 0;
        } else {
          s += " ";
        }
      }
      s += idx[j] < 0 ? std::string(" ...") : f(v[static_cast<std::size_t>(idx[j])]);
      ++col;
    }
    return s + "]";
  }
  std::string s = "[";
  const std::vector<int64_t> idx = kept(t.shape()[0], summarize);
  const std::string sep = "," + std::string(static_cast<std::size_t>(t.ndim() - 1), '\n') +
                          std::string(static_cast<std::size_t>(indent + 1), ' ');
  for (std::size_t j = 0; j < idx.size(); ++j) {
    if (j) s += sep;
    s += idx[j] < 0 ? std::string("...") : render(t.select(0, idx[j]), f, summarize, indent + 1);
  }
  return s + "]";
}

}  // namespace

std::string Tensor::to_string() const {
  if (!defined()) return "tensor(<undefined>)";
  std::string suffix;
  if (numel_ == 0 && ndim() != 1) {
    std::string size = "(";
    for (int64_t i = 0; i < ndim(); ++i) size += (i ? ", " : "") + std::to_string(shape_[i]);
    suffix += ", size=" + size + (ndim() == 1 ? ",)" : ")");
  }
  if (dtype_ != DType::Float32 && dtype_ != DType::Int64 && dtype_ != DType::Bool)
    suffix += std::string(", dtype=torch.") + dtype_name(dtype_);
  if (const auto fn = grad_fn()) suffix += ", grad_fn=<" + fn->name() + ">";
  else if (requires_grad()) suffix += ", requires_grad=True";
  if (numel_ == 0) return "tensor([]" + suffix + ")";
  const bool summarize = numel_ > kThreshold;
  std::vector<double> vals;
  collect(*this, summarize, vals);
  const Formatter f(dtype_, vals);
  return "tensor(" + render(*this, f, summarize, 7) + suffix + ")";
}

}  // namespace rusttorch
