"""rusttorch.nn: modules, parameters, initialisers, losses and the functional API."""
from . import functional, init, utils
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules
from .modules.module import register_module_forward_hook, register_module_forward_pre_hook
from .parameter import Buffer, Parameter

__all__ = ["functional", "init", "utils", "Parameter", "Buffer", "register_module_forward_hook",
           "register_module_forward_pre_hook", *_modules]
