"""pytest configuration for the rusttorch Python tests: a derandomized
Hypothesis profile with a small example budget, so the whole suite runs in a
couple of minutes on 2 cores (RUSTTORCH_HYPOTHESIS_EXAMPLES raises it)."""
from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

settings.register_profile(
    "rusttorch",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=int(os.environ.get("RUSTTORCH_HYPOTHESIS_EXAMPLES", "40")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    # RUSTTORCH_HYPOTHESIS_NO_SHRINK=1 reports the first failing example as found (fast triage).
    phases=[Phase.explicit, Phase.reuse, Phase.generate]
    + ([] if os.environ.get("RUSTTORCH_HYPOTHESIS_NO_SHRINK") else [Phase.shrink]),
)
settings.load_profile("rusttorch")
