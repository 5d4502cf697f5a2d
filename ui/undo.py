"""Undoable edits: each command's redo calls a service with the new values,
its undo calls one with the old values, and the context announces the result.

Commands are pushed *after* their first run succeeded (``push_done``), so a
refused edit never lands on the stack. If a later undo or redo is refused (the
engagement was released meanwhile, or someone else changed the record), the
sentence is shown and the history is cleared: it no longer matches the store.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtGui import QUndoCommand

from auditdesk.domain import Control, Cuec, SubserviceOrg, TestPlan
from auditdesk.errors import AuditDeskError
from auditdesk.services import ControlInput
from ui import feedback
from ui.actions import controls as control_actions
from ui.actions import description as description_actions
from ui.context import AppContext, Topic


class ServiceCommand(QUndoCommand):
    """Base: ``apply`` does the edit, ``revert`` takes it back."""

    def __init__(self, ctx: AppContext, text: str) -> None:
        super().__init__(text)
        self.ctx = ctx
        self._done_once = False

    def apply(self) -> None:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError

    def redo(self) -> None:
        if not self._done_once:
            # push_done already ran the edit; QUndoStack.push calls redo() again.
            self._done_once = True
            return
        self._guarded(self.apply)

    def undo(self) -> None:
        self._guarded(self.revert)

    def _guarded(self, step: Callable[[], None]) -> None:
        try:
            step()
        except AuditDeskError as exc:
            feedback.show_error(self.ctx.dialog_parent, f"{exc} The undo history was cleared.")
            # Clearing the stack from inside its own undo() is not allowed.
            QTimer.singleShot(0, self.ctx.undo_stack.clear)


def push_done(ctx: AppContext, command: ServiceCommand) -> bool:
    """Run the command's edit; on success put it on the undo stack.

    An expected error is shown as its sentence and nothing is pushed.
    """
    try:
        command.apply()
    except AuditDeskError as exc:
        feedback.show_error(ctx.dialog_parent, str(exc))
        return False
    ctx.undo_stack.push(command)
    return True


# ---- controls -------------------------------------------------------------

class AddControlCommand(ServiceCommand):
    def __init__(self, ctx: AppContext, data: ControlInput) -> None:
        super().__init__(ctx, f"Add control {data.ref.strip()}")
        self.data = data
        self.control: Control | None = None

    def apply(self) -> None:
        self.control = control_actions.add_control(ctx=self.ctx, data=self.data)
        self.ctx.announce_control("", self.control)

    def revert(self) -> None:
        assert self.control is not None
        control_actions.delete_control(ctx=self.ctx, ref=self.control.ref)
        self.ctx.announce_control_removed(self.control.ref)


class DeleteControlCommand(ServiceCommand):
    def __init__(self, ctx: AppContext, control: Control) -> None:
        super().__init__(ctx, f"Delete control {control.ref}")
        self.control = control

    def apply(self) -> None:
        control_actions.delete_control(ctx=self.ctx, ref=self.control.ref)
        self.ctx.announce_control_removed(self.control.ref)

    def revert(self) -> None:
        restored = control_actions.add_control(ctx=self.ctx, data=control_actions.input_of(self.control))
        plan = self.control.test_plan
        if plan.procedures or plan.attributes:
            restored = control_actions.set_test_plan(ctx=self.ctx, ref=restored.ref, plan=plan)
        self.control = restored
        self.ctx.announce_control("", restored)


class EditControlCommand(ServiceCommand):
    """Fields and mapping together (``update_control`` replaces both)."""

    def __init__(self, ctx: AppContext, before: Control, after: ControlInput, text: str = "") -> None:
        super().__init__(ctx, text or f"Edit control {before.ref}")
        self.before = control_actions.input_of(before)
        self.after = after

    def apply(self) -> None:
        control = control_actions.update_control(ctx=self.ctx, ref=self.before.ref, data=self.after)
        self.ctx.announce_control(self.before.ref, control)

    def revert(self) -> None:
        control = control_actions.update_control(ctx=self.ctx, ref=self.after.ref.strip(), data=self.before)
        self.ctx.announce_control(self.after.ref.strip(), control)


class MapCriteriaCommand(ServiceCommand):
    def __init__(self, ctx: AppContext, ref: str, before: tuple[str, ...], after: tuple[str, ...]) -> None:
        super().__init__(ctx, f"Map {ref} to criteria")
        self.ref = ref
        self.before = before
        self.after = after

    def apply(self) -> None:
        self.ctx.announce_control(
            self.ref, control_actions.map_criteria(ctx=self.ctx, ref=self.ref, criteria=self.after)
        )

    def revert(self) -> None:
        self.ctx.announce_control(
            self.ref, control_actions.map_criteria(ctx=self.ctx, ref=self.ref, criteria=self.before)
        )


class TestPlanCommand(ServiceCommand):
    __test__ = False  # a pytest-collected name by accident ("Test..."), not a test

    def __init__(self, ctx: AppContext, ref: str, before: TestPlan, after: TestPlan) -> None:
        super().__init__(ctx, f"Edit the test plan of {ref}")
        self.ref = ref
        self.before = before
        self.after = after

    def apply(self) -> None:
        self.ctx.announce_control(
            self.ref, control_actions.set_test_plan(ctx=self.ctx, ref=self.ref, plan=self.after)
        )

    def revert(self) -> None:
        self.ctx.announce_control(
            self.ref, control_actions.set_test_plan(ctx=self.ctx, ref=self.ref, plan=self.before)
        )


# ---- system description ---------------------------------------------------

class SectionEditCommand(ServiceCommand):
    def __init__(self, ctx: AppContext, key: str, title: str, before: str, after: str) -> None:
        super().__init__(ctx, f"Edit '{title}'")
        self.key = key
        self.before = before
        self.after = after

    def apply(self) -> None:
        description_actions.set_section(ctx=self.ctx, key=self.key, body=self.after)
        self.ctx.notify(Topic.DESCRIPTION)

    def revert(self) -> None:
        description_actions.set_section(ctx=self.ctx, key=self.key, body=self.before)
        self.ctx.notify(Topic.DESCRIPTION)


class SaveCuecCommand(ServiceCommand):
    """Add or change a CUEC; undo restores the old one (or removes the new one)."""

    def __init__(self, ctx: AppContext, before: Cuec | None, ref: str, text: str, criteria: tuple[str, ...]):
        super().__init__(ctx, f"Save CUEC {ref.strip()}")
        self.before = before
        # Not self.text: that would hide QUndoCommand.text().
        self.ref, self.body, self.criteria = ref, text, criteria
        self.saved: Cuec | None = None

    def apply(self) -> None:
        self.saved = description_actions.save_cuec(
            ctx=self.ctx, ref=self.ref, description=self.body, criteria=self.criteria,
            cuec_id=self.before.id if self.before else None,
        )
        self.ctx.notify(Topic.DESCRIPTION)

    def revert(self) -> None:
        assert self.saved is not None
        if self.before is None:
            description_actions.delete_cuec(ctx=self.ctx, cuec_id=self.saved.id)
        else:
            description_actions.save_cuec(
                ctx=self.ctx, ref=self.before.ref, description=self.before.description,
                criteria=self.before.criteria, cuec_id=self.before.id,
            )
        self.ctx.notify(Topic.DESCRIPTION)


class DeleteCuecCommand(ServiceCommand):
    def __init__(self, ctx: AppContext, cuec: Cuec) -> None:
        super().__init__(ctx, f"Delete CUEC {cuec.ref}")
        self.cuec = cuec

    def apply(self) -> None:
        description_actions.delete_cuec(ctx=self.ctx, cuec_id=self.cuec.id)
        self.ctx.notify(Topic.DESCRIPTION)

    def revert(self) -> None:
        # Re-created rows get a new id; keep it for the next redo.
        self.cuec = description_actions.save_cuec(
            ctx=self.ctx, ref=self.cuec.ref, description=self.cuec.description, criteria=self.cuec.criteria
        )
        self.ctx.notify(Topic.DESCRIPTION)


def _csocs(org: SubserviceOrg) -> list[tuple[str, tuple[str, ...]]]:
    return [(c.description, c.criteria) for c in org.csocs]


class SaveSubserviceCommand(ServiceCommand):
    def __init__(
        self,
        ctx: AppContext,
        before: SubserviceOrg | None,
        after: SubserviceOrg,
    ) -> None:
        super().__init__(ctx, f"Save subservice organization {after.name.strip()}")
        self.before = before
        self.after = after
        self.saved: SubserviceOrg | None = None

    def apply(self) -> None:
        self.saved = description_actions.save_subservice_org(
            ctx=self.ctx, name=self.after.name, services_text=self.after.services, method=self.after.method,
            csocs=_csocs(self.after), subservice_id=self.before.id if self.before else None,
        )
        self.ctx.notify(Topic.DESCRIPTION)

    def revert(self) -> None:
        assert self.saved is not None
        if self.before is None:
            description_actions.delete_subservice_org(ctx=self.ctx, subservice_id=self.saved.id)
        else:
            description_actions.save_subservice_org(
                ctx=self.ctx, name=self.before.name, services_text=self.before.services,
                method=self.before.method, csocs=_csocs(self.before), subservice_id=self.before.id,
            )
        self.ctx.notify(Topic.DESCRIPTION)


class DeleteSubserviceCommand(ServiceCommand):
    def __init__(self, ctx: AppContext, org: SubserviceOrg) -> None:
        super().__init__(ctx, f"Delete subservice organization {org.name}")
        self.org = org

    def apply(self) -> None:
        description_actions.delete_subservice_org(ctx=self.ctx, subservice_id=self.org.id)
        self.ctx.notify(Topic.DESCRIPTION)

    def revert(self) -> None:
        self.org = description_actions.save_subservice_org(
            ctx=self.ctx, name=self.org.name, services_text=self.org.services, method=self.org.method,
            csocs=_csocs(self.org),
        )
        self.ctx.notify(Topic.DESCRIPTION)
