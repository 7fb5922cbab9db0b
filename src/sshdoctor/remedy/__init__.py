"""Findings and capabilities in, ranked fixes out, rendered for every place a fix can go."""

from sshdoctor.remedy.plan import ClientPlan, plan_client_fix, strongest_supported
from sshdoctor.remedy.strength import strength_key

__all__ = ["ClientPlan", "plan_client_fix", "strength_key", "strongest_supported"]
