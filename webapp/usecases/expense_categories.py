"""Expense categories (issue 17): owners and bookkeepers keep the list purchase lines are booked to."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from webapp.models import ExpenseCategory
from webapp.services import expense_categories
from webapp.usecases import Actor, load, usecase


@dataclass(frozen=True)
class CategoryInput:
    name: str
    account: str = ""


def list_categories(actor: Actor) -> list[ExpenseCategory]:
    """The organization's categories by name, the archived ones too (they stay on the lines that have them)."""
    actor.require("view")
    return expense_categories.of(actor.org.id, include_archived=True)


@usecase
def add_category(actor: Actor, data: CategoryInput) -> ExpenseCategory:
    actor.require("manage_expense_categories")
    return expense_categories.add(actor.org, actor.user, data.name, data.account)


@usecase
def change_category(actor: Actor, category_id: int, data: CategoryInput) -> ExpenseCategory:
    actor.require("manage_expense_categories")
    category = load(actor, ExpenseCategory, category_id, "expense category")
    expense_categories.change(actor.org, actor.user, category, data.name, data.account)
    return category


@usecase
def set_archived(actor: Actor, category_id: int, archived: bool) -> ExpenseCategory:
    actor.require("manage_expense_categories")
    category = load(actor, ExpenseCategory, category_id, "expense category")
    expense_categories.set_archived(actor.org, actor.user, category, archived)
    return category


@usecase
def add_common_categories(actor: Actor, translate: Callable[[str], str]) -> int:
    actor.require("manage_expense_categories")
    return expense_categories.add_common(actor.org, actor.user, translate)
