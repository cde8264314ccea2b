"""The layer classes of rusttorch.nn, one family per file."""
from .activation import *  # noqa: F401,F403
from .activation import __all__ as _activation
from .container import *  # noqa: F401,F403
from .container import __all__ as _container
from .conv import *  # noqa: F401,F403
from .conv import __all__ as _conv
from .dropout import *  # noqa: F401,F403
from .dropout import __all__ as _dropout
from .flatten import *  # noqa: F401,F403
from .flatten import __all__ as _flatten
from .linear import *  # noqa: F401,F403
from .linear import __all__ as _linear
from .loss import *  # noqa: F401,F403
from .loss import __all__ as _loss
from .module import Module
from .normalization import *  # noqa: F401,F403
from .normalization import __all__ as _normalization
from .padding import *  # noqa: F401,F403
from .padding import __all__ as _padding
from .sparse import *  # noqa: F401,F403
from .sparse import __all__ as _sparse

__all__ = ["Module", *_activation, *_container, *_conv, *_dropout, *_flatten, *_linear, *_loss, *_normalization, *_padding,
           *_sparse]
