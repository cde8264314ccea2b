// Exceptions thrown by the front-end. The Python module maps each class to the
// exception type torch raises for the same mistake.
#pragma once
#include <stdexcept>
#include <string>

namespace rusttorch {

struct Error : std::runtime_error {            // -> RuntimeError
  using std::runtime_error::runtime_error;
};
struct IndexError : Error {                    // -> IndexError (dims, indices out of range)
  using Error::Error;
};
struct TypeError : Error {                     // -> TypeError (wrong argument kinds)
  using Error::Error;
};
struct ValueError : Error {                    // -> ValueError
  using Error::Error;
};

}  // namespace rusttorch
