"""Frozen value types shared by every stage of the pipeline (no I/O here)."""

from sshdoctor.model.action import Action, ActionKind, actions_json
from sshdoctor.model.banner import Banner
from sshdoctor.model.category import CHECK_ORDER_CLIENT, Category, Slot
from sshdoctor.model.client import ClientModel
from sshdoctor.model.finding import Finding
from sshdoctor.model.fix import Change, Fix
from sshdoctor.model.outcome import Outcome
from sshdoctor.model.proposal import Proposal
from sshdoctor.model.report import HostReport
from sshdoctor.model.target import Target, TargetSyntaxError, parse_target

__all__ = [
    "CHECK_ORDER_CLIENT",
    "Action",
    "ActionKind",
    "Banner",
    "Category",
    "Change",
    "ClientModel",
    "Finding",
    "Fix",
    "HostReport",
    "Outcome",
    "Proposal",
    "Slot",
    "Target",
    "TargetSyntaxError",
    "actions_json",
    "parse_target",
]
