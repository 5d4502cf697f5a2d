"""Undoable edits: each command's redo calls a service with the new values,
its undo calls one with the old values, and the context announces the result.

Commands are pushed *after* their first run succeeded (``push_done``), so a
refused edit never lands on the stack. Each lands on the stack of the screen
where it was made (``ui.undo_history``), so Ctrl+Z never reaches into another
screen. If a later undo or redo is refused (the engagement was released
meanwhile, or the evidence it would remove now exists), the sentence is shown
and that screen's history is cleared: it no longer matches the store.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtGui import QUndoCommand, QUndoStack

from auditdesk import services
from auditdesk.domain import Control, Cuec, Role, SubserviceOrg, TeamMember, TestPlan
from auditdesk.errors import AuditDeskError
from auditdesk.services import ControlInput
from auditdesk.services.versioning import version_of
from ui import feedback
from ui.actions import controls as control_actions
from ui.actions import description as description_actions
from ui.actions import engagements as engagement_actions
from ui.actions import testing as testing_actions
from ui.context import AppContext, Topic


class ServiceCommand(QUndoCommand):
    """Base: ``apply`` does the edit, ``revert`` takes it back."""

    def __init__(self, ctx: AppContext, text: str) -> None:
        super().__init__(text)
        self.ctx = ctx
        self._done_once = False
        self.stack: QUndoStack | None = None  # set when pushed

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
            feedback.show_error(self.ctx.dialog_parent, f"{exc} The undo history of this screen was cleared.")
            # Clearing the stack from inside its own undo() is not allowed.
            if self.stack is not None:
                QTimer.singleShot(0, self.stack.clear)


def push_done(ctx: AppContext, command: ServiceCommand, screen: str | None = None) -> bool:
    """Run the command's edit; on success put it on the undo stack of ``screen``
    (default: the visible one), its text naming the screen.

    An expected error is shown as its sentence and nothing is pushed.
    """
    try:
        command.apply()
    except AuditDeskError as exc:
        feedback.show_error(ctx.dialog_parent, str(exc))
        return False
    command.stack = ctx.undo.push(command, screen)
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
    """Delete a control that holds no evidence; undo puts it back exactly as it was."""

    def __init__(self, ctx: AppContext, control: Control) -> None:
        super().__init__(ctx, f"Delete control {control.ref}")
        self.control = control

    def apply(self) -> None:
        self.control = control_actions.delete_control(ctx=self.ctx, ref=self.control.ref)
        self.ctx.announce_control_removed(self.control.ref)

    def revert(self) -> None:
        restored = control_actions.restore_control(ctx=self.ctx, control=self.control)
        self.ctx.announce_control("", restored)
        self.ctx.notify(Topic.POPULATIONS)  # the populations generated for it are linked again


class RetireControlCommand(ServiceCommand):
    """Retire (``retire=True``) or restore a control; undo does the opposite."""

    def __init__(self, ctx: AppContext, control: Control, *, retire: bool, reason: str = "") -> None:
        super().__init__(ctx, f"{'Retire' if retire else 'Restore'} control {control.ref}")
        self.ref = control.ref
        self.retire = retire
        # Undoing a restore retires it again with the reason it had.
        self.reason = reason if retire else control.retired_reason

    def _set(self, retired: bool) -> None:
        if retired:
            control = control_actions.retire_control(ctx=self.ctx, ref=self.ref, reason=self.reason)
        else:
            control = control_actions.unretire_control(ctx=self.ctx, ref=self.ref)
        self.ctx.announce_control(self.ref, control)
        self.ctx.notify(Topic.CONCLUSIONS)

    def apply(self) -> None:
        self._set(self.retire)

    def revert(self) -> None:
        self._set(not self.retire)


class RetireStepCommand(ServiceCommand):
    """Retire or bring back one attribute (by letter) or procedure (by number) of a test plan."""

    def __init__(self, ctx: AppContext, ref: str, *, attribute: str = "", procedure: int = 0, retire: bool) -> None:
        what = f"attribute {attribute}" if attribute else f"procedure {procedure}"
        super().__init__(ctx, f"{'Retire' if retire else 'Bring back'} {what} of {ref}")
        self.ref, self.attribute, self.procedure, self.retire = ref, attribute, procedure, retire

    def _set(self, retired: bool) -> None:
        if self.attribute:
            control = control_actions.retire_attribute(ctx=self.ctx, ref=self.ref, letter=self.attribute,
                                                       retired=retired)
        else:
            control = control_actions.retire_procedure(ctx=self.ctx, ref=self.ref, seq=self.procedure,
                                                       retired=retired)
        self.ctx.announce_control(self.ref, control)

    def apply(self) -> None:
        self._set(self.retire)

    def revert(self) -> None:
        self._set(not self.retire)


class EditControlCommand(ServiceCommand):
    """Fields and mapping together (``update_control`` replaces both).

    With ``expected_version`` every run names the version it replaces: the first
    the one the editor loaded, undo and redo the one this command left, so none
    of them overwrites someone else's save (``ConflictError``).
    """

    def __init__(self, ctx: AppContext, before: Control, after: ControlInput, text: str = "",
                 *, expected_version: str | None = None) -> None:
        super().__init__(ctx, text or f"Edit control {before.ref}")
        self.before = control_actions.input_of(before)
        self.after = after
        self.version = expected_version

    def apply(self) -> None:
        control = control_actions.update_control(ctx=self.ctx, ref=self.before.ref, data=self.after,
                                                 expected_version=self.version)
        self.version = _version(self.version, control)
        self.ctx.announce_control(self.before.ref, control)

    def revert(self) -> None:
        control = control_actions.update_control(ctx=self.ctx, ref=self.after.ref.strip(), data=self.before,
                                                 expected_version=self.version)
        self.version = _version(self.version, control)
        self.ctx.announce_control(self.after.ref.strip(), control)


def _version(previous: str | None, record: object) -> str | None:
    """The version to name next time: none when the command was made without one."""
    return None if previous is None else version_of(record)


class MapCriteriaCommand(ServiceCommand):
    def __init__(self, ctx: AppContext, ref: str, before: tuple[str, ...], after: tuple[str, ...],
                 *, expected_version: str | None = None) -> None:
        super().__init__(ctx, f"Map {ref} to criteria")
        self.ref = ref
        self.before = before
        self.after = after
        self.version = expected_version

    def _map(self, criteria: tuple[str, ...]) -> None:
        control = control_actions.map_criteria(ctx=self.ctx, ref=self.ref, criteria=criteria,
                                               expected_version=self.version)
        self.version = _version(self.version, control)
        self.ctx.announce_control(self.ref, control)

    def apply(self) -> None:
        self._map(self.after)

    def revert(self) -> None:
        self._map(self.before)


class TestPlanCommand(ServiceCommand):
    __test__ = False  # a pytest-collected name by accident ("Test..."), not a test

    def __init__(self, ctx: AppContext, ref: str, before: TestPlan, after: TestPlan,
                 *, expected_version: str | None = None) -> None:
        super().__init__(ctx, f"Edit the test plan of {ref}")
        self.ref = ref
        self.before = before
        self.after = after
        self.version = expected_version

    def _set(self, plan: TestPlan) -> None:
        control = control_actions.set_test_plan(ctx=self.ctx, ref=self.ref, plan=plan, expected_version=self.version)
        self.version = _version(self.version, control)
        self.ctx.announce_control(self.ref, control)

    def apply(self) -> None:
        self._set(self.after)

    def revert(self) -> None:
        self._set(self.before)


# ---- system description ---------------------------------------------------

class SectionEditCommand(ServiceCommand):
    """A section's text; with ``expected_version`` no run overwrites someone else's save (see EditControlCommand)."""

    def __init__(self, ctx: AppContext, key: str, title: str, before: str, after: str,
                 *, expected_version: str | None = None) -> None:
        super().__init__(ctx, f"Edit '{title}'")
        self.key = key
        self.before = before
        self.after = after
        self.version = expected_version

    def _set(self, body: str) -> None:
        section = description_actions.set_section(ctx=self.ctx, key=self.key, body=body,
                                                  expected_version=self.version)
        self.version = _version(self.version, section)
        self.ctx.notify(Topic.DESCRIPTION)

    def apply(self) -> None:
        self._set(self.after)

    def revert(self) -> None:
        self._set(self.before)


class SaveCuecCommand(ServiceCommand):
    """Add or change a CUEC; undo restores the old one (or removes the new one).

    With ``expected_version`` (a change) no run overwrites someone else's save (see EditControlCommand).
    """

    def __init__(self, ctx: AppContext, before: Cuec | None, ref: str, text: str, criteria: tuple[str, ...],
                 *, expected_version: str | None = None):
        super().__init__(ctx, f"Save CUEC {ref.strip()}")
        self.before = before
        # Not self.text: that would hide QUndoCommand.text().
        self.ref, self.body, self.criteria = ref, text, criteria
        self.saved: Cuec | None = None
        self.version = expected_version if before is not None else None

    def apply(self) -> None:
        self.saved = description_actions.save_cuec(
            ctx=self.ctx, ref=self.ref, description=self.body, criteria=self.criteria,
            cuec_id=self.before.id if self.before else None, expected_version=self.version,
        )
        self.version = _version(self.version, self.saved)
        self.ctx.notify(Topic.DESCRIPTION)

    def revert(self) -> None:
        assert self.saved is not None
        if self.before is None:
            description_actions.delete_cuec(ctx=self.ctx, cuec_id=self.saved.id)
        else:
            restored = description_actions.save_cuec(
                ctx=self.ctx, ref=self.before.ref, description=self.before.description,
                criteria=self.before.criteria, cuec_id=self.before.id, expected_version=self.version,
            )
            self.version = _version(self.version, restored)
        self.ctx.notify(Topic.DESCRIPTION)


class DeleteCuecCommand(ServiceCommand):
    def __init__(self, ctx: AppContext, cuec: Cuec) -> None:
        super().__init__(ctx, f"Delete CUEC {cuec.ref}")
        self.cuec = cuec

    def apply(self) -> None:
        # The CUEC as shown: one someone else changed since is not deleted (their change is kept).
        description_actions.delete_cuec(ctx=self.ctx, cuec_id=self.cuec.id, expected_version=version_of(self.cuec))
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
        *,
        expected_version: str | None = None,
    ) -> None:
        super().__init__(ctx, f"Save subservice organization {after.name.strip()}")
        self.before = before
        self.after = after
        self.saved: SubserviceOrg | None = None
        #: with a version (a change), no run overwrites someone else's save (see EditControlCommand)
        self.version = expected_version if before is not None else None

    def apply(self) -> None:
        self.saved = description_actions.save_subservice_org(
            ctx=self.ctx, name=self.after.name, services_text=self.after.services, method=self.after.method,
            csocs=_csocs(self.after), subservice_id=self.before.id if self.before else None,
            expected_version=self.version,
        )
        self.version = _version(self.version, self.saved)
        self.ctx.notify(Topic.DESCRIPTION)

    def revert(self) -> None:
        assert self.saved is not None
        if self.before is None:
            description_actions.delete_subservice_org(ctx=self.ctx, subservice_id=self.saved.id)
        else:
            restored = description_actions.save_subservice_org(
                ctx=self.ctx, name=self.before.name, services_text=self.before.services,
                method=self.before.method, csocs=_csocs(self.before), subservice_id=self.before.id,
                expected_version=self.version,
            )
            self.version = _version(self.version, restored)
        self.ctx.notify(Topic.DESCRIPTION)


class DeleteSubserviceCommand(ServiceCommand):
    def __init__(self, ctx: AppContext, org: SubserviceOrg) -> None:
        super().__init__(ctx, f"Delete subservice organization {org.name}")
        self.org = org

    def apply(self) -> None:
        description_actions.delete_subservice_org(
            ctx=self.ctx, subservice_id=self.org.id, expected_version=version_of(self.org)
        )
        self.ctx.notify(Topic.DESCRIPTION)

    def revert(self) -> None:
        self.org = description_actions.save_subservice_org(
            ctx=self.ctx, name=self.org.name, services_text=self.org.services, method=self.org.method,
            csocs=_csocs(self.org),
        )
        self.ctx.notify(Topic.DESCRIPTION)


# ---- testing ----------------------------------------------------------------

ResultsShown = Callable[[int, tuple[tuple[str, str], ...]], None]


class RecordResultsCommand(ServiceCommand):
    """Results typed in the grid; undo puts back each cell's earlier outcome, tickmark and
    comment, or clears the cell when it had no result."""

    def __init__(
        self,
        ctx: AppContext,
        sample_id: int,
        inputs: list[services.ResultInput],
        before: dict[tuple[str, str], services.Result | None],
        text: str,
        shown: ResultsShown | None = None,
        *,
        expected_versions: list[str | None] | None = None,
    ) -> None:
        super().__init__(ctx, text)
        self.sample_id = sample_id
        self.inputs = inputs
        self.before = before
        #: per input, the version of the cell the next run replaces (None: not compared): first the one the
        #: grid loaded, then the one this command's last undo or redo left, so none overwrites someone else's save
        self.expected_versions = expected_versions
        self.saved: tuple[services.Result, ...] = ()
        #: tells the grid which cells an undo or redo changed (it shows them and announces the change)
        self.shown = shown

    @property
    def cells(self) -> tuple[tuple[str, str], ...]:
        return tuple((i.item_key, i.attribute) for i in self.inputs)

    def apply(self) -> None:
        self.saved = testing_actions.record_results(ctx=self.ctx, sample_id=self.sample_id, results=self.inputs,
                                                    expected_versions=self.expected_versions)
        if self.expected_versions is not None:
            self.expected_versions = [version_of(r) for r in self.saved]
        if self._done_once:  # a redo: the grid did not type it this time
            self._announce()

    def revert(self) -> None:
        restored = testing_actions.restore_results(
            ctx=self.ctx, sample_id=self.sample_id,
            previous=[(key, letter, self.before.get((key, letter))) for key, letter in self.cells],
            expected_versions=self.expected_versions,
        )
        if self.expected_versions is not None:
            by_cell = {(r.item_key, r.attribute): r for r in restored}
            self.expected_versions = [version_of(by_cell.get((key, letter.strip().upper())))
                                      for key, letter in self.cells]
        self._announce()

    def _announce(self) -> None:
        if self.shown is not None:
            self.shown(self.sample_id, self.cells)  # the grid shows the cells and announces them
        else:
            self.ctx.notify(Topic.RESULTS, Topic.CONCLUSIONS, Topic.EXCEPTIONS)


# ---- team -------------------------------------------------------------------

class _TeamCommand(ServiceCommand):
    def _announce(self) -> None:
        self.ctx.reload_engagement()
        self.ctx.notify(Topic.TEAM, Topic.ENGAGEMENTS)


class TeamMemberCommand(_TeamCommand):
    """Put a person on the team or change their role (``before`` None: they were not on it)."""

    def __init__(self, ctx: AppContext, initials: str, name: str, role: Role, before: TeamMember | None) -> None:
        super().__init__(ctx, f"Add {name} to the team" if before is None else f"Change the role of {name}")
        self.initials, self.role, self.before = initials, role, before

    def apply(self) -> None:
        engagement_actions.set_team_member(ctx=self.ctx, initials=self.initials, role=self.role)
        self._announce()

    def revert(self) -> None:
        if self.before is None:
            engagement_actions.remove_team_member(ctx=self.ctx, initials=self.initials)
        else:
            engagement_actions.set_team_member(ctx=self.ctx, initials=self.initials, role=self.before.role)
        self._announce()


class RemoveTeamMemberCommand(_TeamCommand):
    def __init__(self, ctx: AppContext, member: TeamMember) -> None:
        super().__init__(ctx, f"Remove {member.name} from the team")
        self.member = member

    def apply(self) -> None:
        engagement_actions.remove_team_member(ctx=self.ctx, initials=self.member.initials)
        self._announce()

    def revert(self) -> None:
        engagement_actions.set_team_member(ctx=self.ctx, initials=self.member.initials, role=self.member.role)
        self._announce()
