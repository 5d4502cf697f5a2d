"""The main window: navigator, the current screen, the detail panel, the status bar.

Screens are built the first time they are shown (see ``views.registry``), and
reload only when a change they show arrives while they are visible, or when
they are next shown.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from auditdesk import config, services
from auditdesk.domain import Engagement, Phase, TrailCheck
from auditdesk.errors import AuditDeskError
from auditdesk.services.activity import ActivityQuery, list_activity
from ui import feedback
from ui.actions import engagements as engagement_actions
from ui.context import AppContext, Topic
from ui.models.engagements import role_label
from ui.views.base import WorkspaceView
from ui.views.registry import ENGAGEMENT_LIST, VIEW_NAMES, WORKSPACE_VIEWS, ViewSpec, spec
from ui.widgets.cards import BannerWidget
from ui.widgets.detail_panel import Detail, DetailPanel
from ui.widgets.elided_label import ElidedLabel
from ui.widgets.signoff_panel import signoff_lines

VIEW_ROLE = int(Qt.ItemDataRole.UserRole)
PREFERRED_SIZE = QSize(1440, 900)
# Title bar and borders the window system adds around the window's contents.
FRAME_ALLOWANCE = QSize(16, 40)
DEMO_STORE_BANNER = (
    "You are in the demo store: Northwind Analytics is a fictitious client, kept apart from your workpapers. "
    "Your own store ({store}) is unchanged; File > Open store… takes you back to it."
)


def window_settings() -> QSettings:
    """Geometry and last engagement, next to settings.json (tests redirect the folder)."""
    folder = config.config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return QSettings(str(folder / "window.ini"), QSettings.Format.IniFormat)


def fitted_size(available: QSize, wanted: QSize = PREFERRED_SIZE) -> QSize:
    """The first window: its preferred size where the screen has room, else the room left by the frame."""
    return QSize(min(wanted.width(), available.width() - FRAME_ALLOWANCE.width()),
                 min(wanted.height(), available.height() - FRAME_ALLOWANCE.height()))


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        ctx.dialog_parent = self
        self.setObjectName("mainWindow")
        self.setWindowTitle("AuditDesk")
        self.views: dict[str, WorkspaceView] = {}
        self.remember_state = True  # off for screenshots
        self.current_view_name = ""
        self._last_workspace_view = "overview"

        self.navigator = self._build_navigator()
        self.stack = QStackedWidget()
        self.banner = BannerWidget()
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.setSpacing(0)
        banner_holder = QWidget()
        banner_layout = QVBoxLayout(banner_holder)
        banner_layout.setContentsMargins(16, 10, 16, 0)
        banner_layout.addWidget(self.banner)
        centre_layout.addWidget(banner_holder)
        centre_layout.addWidget(self.stack, 1)
        banner_holder.setVisible(False)
        self.banner.dismissed.connect(lambda: banner_holder.setVisible(False))
        self._banner_holder = banner_holder

        self.detail_panel = DetailPanel()
        self.detail_panel.signoffs.loader = lambda item: signoff_lines(self.ctx, item)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.navigator)
        self.splitter.addWidget(centre)
        self.splitter.addWidget(self.detail_panel)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([236, 940, 264])
        self.setCentralWidget(self.splitter)

        self._build_status_bar()
        self._build_menus()

        ctx.changed.connect(self._on_changed)
        ctx.engagement_changed.connect(self._on_engagement_changed)
        ctx.actor_changed.connect(lambda _a: self._update_status())
        self.resize(fitted_size(self.screen().availableGeometry().size()))
        self._update_status()
        # Other people's saves to the open engagement refresh the screens (ui.watcher).
        from ui.watcher import EngagementWatcher

        self.watcher = EngagementWatcher(ctx, lambda: self.views.values(), self.current_view, parent=self)
        self.watcher.start()

    # ---- layout ----------------------------------------------------------

    def _build_navigator(self) -> QWidget:
        panel = QWidget()
        panel.setObjectName("navigatorPanel")
        panel.setMinimumWidth(200)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(6, 12, 6, 8)
        layout.setSpacing(4)
        self.nav_client = QLabel("No engagement open")
        self.nav_client.setObjectName("navigatorClient")
        self.nav_client.setWordWrap(True)
        self.nav_meta = QLabel("")
        self.nav_meta.setObjectName("navigatorMeta")
        self.nav_meta.setWordWrap(True)
        self.nav_list = QListWidget()
        self.nav_list.setObjectName("navigator")
        self.nav_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        home = QListWidgetItem("All engagements")
        home.setData(VIEW_ROLE, ENGAGEMENT_LIST)
        self.nav_list.addItem(home)
        for view in WORKSPACE_VIEWS:
            item = QListWidgetItem(view.title)
            item.setData(VIEW_ROLE, view.name)
            if view.shortcut:
                keys = QKeySequence(view.shortcut).toString(QKeySequence.SequenceFormat.NativeText)
                item.setToolTip(f"{view.title} ({keys})")
            self.nav_list.addItem(item)
        self.nav_list.currentItemChanged.connect(self._nav_changed)
        layout.addWidget(self.nav_client)
        layout.addWidget(self.nav_meta)
        layout.addSpacing(6)
        layout.addWidget(self.nav_list, 1)
        return panel

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.user_label = QLabel()
        self.store_label = ElidedLabel()  # a long path or server address must not widen the window
        self.store_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.phase_label = QLabel()
        self.phase_label.setObjectName("phaseBadge")
        bar.addPermanentWidget(self.user_label)
        bar.addPermanentWidget(self.store_label, 1)
        # Shown while the open engagement is checked out to a file for offline work.
        self.checkout_label = ElidedLabel()
        self.checkout_label.setObjectName("lockBadge")
        self.checkout_label.hide()
        bar.addPermanentWidget(self.checkout_label)
        bar.addPermanentWidget(self.phase_label)

    def _build_menus(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        self.new_action = self._action("&New engagement…", self.new_engagement, QKeySequence.StandardKey.New)
        self.list_action = self._action("All &engagements", lambda: self.show_view(ENGAGEMENT_LIST), "Ctrl+E")
        self.open_store_action = self._action("&Open store…", self.choose_store, QKeySequence.StandardKey.Open)
        self.settings_action = self._action("&Settings…", self.open_settings, "Ctrl+,")
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        for action in (self.new_action, self.list_action, self.open_store_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        self.export_engagement_action = self._action("E&xport engagement…", self.export_engagement)
        self.export_engagement_action.setStatusTip(
            "Write the open engagement, its evidence and its audit trail to one file another store can import"
        )
        self.export_engagement_action.setEnabled(False)
        self.import_engagement_action = self._action("I&mport engagement…", self.import_engagement)
        self.import_engagement_action.setStatusTip("Bring an engagement file into this store; it is checked first")
        file_menu.addAction(self.export_engagement_action)
        file_menu.addAction(self.import_engagement_action)
        self.checkout_action = self._action("Check &out for offline work…", self.checkout_engagement)
        self.checkout_action.setStatusTip(
            "Write the open engagement to a file to work on offline; it is read-only here until checked in"
        )
        self.checkout_action.setEnabled(False)
        self.checkin_action = self._action("Check &in…", self.checkin_engagement)
        self.checkin_action.setStatusTip("Bring a checked-out engagement's file back into this store")
        file_menu.addAction(self.checkout_action)
        file_menu.addAction(self.checkin_action)
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)

        edit_menu = menu.addMenu("&Edit")
        # The group's actions follow the visible screen's stack: Ctrl+Z never reaches
        # into another screen, and the text names the action and its screen.
        self.undo_action = self.ctx.undo.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.redo_action = self.ctx.undo.createRedoAction(self, "&Redo")
        # Ctrl+Shift+Z everywhere; Ctrl+Y as well, as Windows users expect.
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.filter_action = self._action("&Filter…", self.focus_filter, QKeySequence.StandardKey.Find)
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(action)
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.filter_action)

        engagement_menu = menu.addMenu("E&ngagement")
        phase_menu = engagement_menu.addMenu("Move to &phase")
        self.phase_actions: dict[Phase, QAction] = {}
        for phase in Phase:
            action = self._action(phase.value.capitalize(), lambda _c=False, p=phase: self.move_to_phase(p))
            action.setCheckable(True)
            phase_menu.addAction(action)
            self.phase_actions[phase] = action
        self.roll_forward_action = QAction("&Roll forward to the next period…", self)
        self.roll_forward_action.setEnabled(False)
        self.roll_forward_action.setStatusTip(
            "Start next period's engagement: controls, test plans, description and team; no evidence"
        )
        self.roll_forward_action.triggered.connect(self._roll_forward)
        self.import_controls_action = QAction("&Import controls…", self)
        self.import_controls_action.setEnabled(False)
        self.import_controls_action.setStatusTip(
            "Bring in the client's risk and control matrix (CSV or Excel): new controls are added, controls with "
            "the same reference updated"
        )
        self.import_controls_action.triggered.connect(self.import_controls)
        engagement_menu.addAction(self.import_controls_action)
        engagement_menu.addAction(self.roll_forward_action)
        engagement_menu.addSeparator()
        from ui.dialogs.import_requests import ExcelMenu

        self.excel_menu = ExcelMenu(self.ctx, self, engagement_menu)

        view_menu = menu.addMenu("&View")
        view_menu.addAction(self.list_action)
        view_menu.addSeparator()
        self.view_actions: dict[str, QAction] = {}
        for view in WORKSPACE_VIEWS:
            action = self._action(view.title, lambda _c=False, n=view.name: self.show_view(n), view.shortcut or None)
            view_menu.addAction(action)
            self.view_actions[view.name] = action
        view_menu.addSeparator()
        view_menu.addAction(self._action("&Reload from the store", self.reload_all, QKeySequence.StandardKey.Refresh))

        help_menu = menu.addMenu("&Help")
        self.verify_trail_action = self._action("&Verify the audit trail", self.verify_trail)
        self.verify_trail_action.setStatusTip("Recompute the audit trail's hash chain: was any change edited or "
                                              "removed after it was recorded?")
        self.demo_action = self._action("Open the &demo store", self.open_demo_store)
        self.demo_action.setStatusTip("Look around a complete engagement of a fictitious client, kept in a store "
                                      "of its own")
        help_menu.addAction(self.verify_trail_action)
        self.verify_file_action = self._action("Verify the engagement's &file…", self.verify_file)
        self.verify_file_action.setStatusTip(
            "Check the open engagement: trail, sign-offs, evidence, samples, reports and rows against the trail"
        )
        self.verify_file_action.setEnabled(False)
        help_menu.addAction(self.verify_file_action)
        help_menu.addAction(self.demo_action)
        help_menu.addSeparator()
        about = self._action("&About AuditDesk", self.about)
        about.setMenuRole(QAction.MenuRole.AboutRole)
        help_menu.addAction(about)

    def _action(self, text: str, slot: object, shortcut: object = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))  # type: ignore[call-overload]
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even with the menu bar hidden (offscreen, kiosk)
        return action

    # ---- engagements and views ------------------------------------------

    def open_engagement(self, ref: str, view: str | None = None) -> bool:
        engagement = feedback.attempt(self, services.get_engagement, self.ctx.store.reader(), ref)
        if engagement is None:
            return False
        self.ctx.open_engagement(engagement)
        last = self._last_workspace_view
        if view is None and last in VIEW_NAMES and not spec(last).offered_for(engagement):
            last = "overview"  # e.g. Testing, last seen in a Type 2, is not part of a Type 1
        self.show_view(view or last)
        return True

    def _on_engagement_changed(self, engagement: Engagement | None) -> None:
        for view in self.views.values():
            view.stale = True
        self._update_engagement_labels()
        if engagement is None:
            self.show_view(ENGAGEMENT_LIST)

    def _roll_forward(self) -> None:
        from ui.dialogs.roll_forward import open_roll_forward

        open_roll_forward(self.ctx, self)

    def _update_engagement_labels(self) -> None:
        e = self.ctx.engagement
        self.roll_forward_action.setEnabled(e is not None)
        self.export_engagement_action.setEnabled(e is not None)
        self.verify_file_action.setEnabled(e is not None)
        self.detail_panel.set_engagement(e)
        if e is None:
            self.nav_client.setText("No engagement open")
            self.nav_meta.setText("Choose one in All engagements, or create one (Ctrl+N).")
            self.setWindowTitle("AuditDesk")
        else:
            self.nav_client.setText(e.client)
            self.nav_meta.setText(f"{e.ref} · {e.type.label} · {e.phase.label}")
            self.setWindowTitle(f"AuditDesk — {e.ref} · {e.client}")
            for phase, action in self.phase_actions.items():
                action.setChecked(phase is e.phase)
        for row in range(1, self.nav_list.count()):
            item = self.nav_list.item(row)
            item.setHidden(e is None or not spec(str(item.data(VIEW_ROLE))).offered_for(e))
        for name, action in self.view_actions.items():
            # A Type 1 has no operating-effectiveness screens: out of the navigator, the menu and the keys.
            offered = spec(name).offered_for(e)
            action.setVisible(offered)
            action.setEnabled(offered)
        self.import_controls_action.setEnabled(e is not None and not e.locked)
        self.checkout_action.setEnabled(e is not None and not e.locked)
        self._update_status()
        self._refresh_activity()

    def view(self, name: str) -> WorkspaceView:
        """The screen called ``name``, built on first use."""
        existing = self.views.get(name)
        if existing is not None:
            return existing
        if name == ENGAGEMENT_LIST:
            from ui.views.engagement_list import EngagementListView

            created: WorkspaceView = EngagementListView(self.ctx, can_import=True)
            created.setObjectName("view_engagements")
            created.open_requested.connect(self.open_engagement)  # type: ignore[attr-defined]
            created.new_requested.connect(self.new_engagement)  # type: ignore[attr-defined]
            created.import_requested.connect(self.new_engagement_from_matrix)  # type: ignore[attr-defined]
            created.demo_requested.connect(self.open_demo_store)  # type: ignore[attr-defined]
        else:
            view_spec: ViewSpec = spec(name)
            created = view_spec.create(self.ctx)
            if hasattr(created, "control_requested"):
                created.control_requested.connect(self.open_control)
        created.detail_changed.connect(self._detail_changed)
        self.views[name] = created
        self.stack.addWidget(created)
        return created

    def show_view(self, name: str) -> WorkspaceView:
        if name != ENGAGEMENT_LIST and self.ctx.engagement is None:
            name = ENGAGEMENT_LIST
        view = self.view(name)
        self.current_view_name = name
        self.ctx.undo.show(name)
        if name != ENGAGEMENT_LIST:
            self._last_workspace_view = name
        self.stack.setCurrentWidget(view)
        self._select_nav(name)
        view.refresh_if_needed()
        self.detail_panel.set_detail(view.current_detail())
        return view

    def current_view(self) -> WorkspaceView | None:
        return self.views.get(self.current_view_name)

    def _select_nav(self, name: str) -> None:
        for row in range(self.nav_list.count()):
            item = self.nav_list.item(row)
            if item.data(VIEW_ROLE) == name:
                if self.nav_list.currentItem() is not item:
                    self.nav_list.blockSignals(True)
                    self.nav_list.setCurrentItem(item)
                    self.nav_list.blockSignals(False)
                return

    def _nav_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is not None:
            self.show_view(str(current.data(VIEW_ROLE)))

    def open_control(self, ref: str) -> None:
        view = self.show_view("controls")
        view.select(ref)  # type: ignore[attr-defined]

    def _detail_changed(self, detail: Detail | None) -> None:
        if self.sender() is self.current_view():
            self.detail_panel.set_detail(detail)

    def _on_changed(self, topics: frozenset[Topic]) -> None:
        for view in self.views.values():
            if view.topics & topics:
                view.stale = True
        current = self.current_view()
        if current is not None:
            current.refresh_if_needed()
        if topics & {Topic.ENGAGEMENT, Topic.TEAM}:
            self._update_engagement_labels()
        else:
            self._refresh_activity()

    def reload_all(self) -> None:
        if self.ctx.engagement is not None:
            feedback.attempt(self, self.ctx.reload_engagement)
        self.ctx.notify(*Topic)

    def _refresh_activity(self) -> None:
        e = self.ctx.engagement
        page = list_activity(self.ctx.store.reader(), ActivityQuery(engagement=e.id), limit=400) if e else None
        self.detail_panel.set_activity(page.entries if page is not None else ())

    def _update_status(self) -> None:
        actor = self.ctx.actor
        person = next((p for p in services.list_people(self.ctx.store.reader()) if p.initials == actor), None)
        if person is not None:
            self.user_label.setText(f"User: {actor} ({person.name}, {role_label(person.role).lower()})")
        else:
            profile = config.load_settings().profile
            name = profile.name if profile.initials.upper() == actor else ""
            self.user_label.setText(f"User: {actor}" + (f" ({name})" if name else ""))
        self.store_label.setText(f"Store: {self.ctx.store.label}")
        self.store_label.setToolTip(self.ctx.store.label)
        e = self.ctx.engagement
        self._update_checkout_label()
        if e is None:
            self.phase_label.hide()
            return
        self.phase_label.show()
        self.phase_label.setObjectName("lockBadge" if e.locked else "phaseBadge")
        self.phase_label.setText(f"{e.phase.value.capitalize()} · {'locked' if e.locked else 'editable'}")
        # The object name picks the badge colours; re-polish to apply the change.
        self.phase_label.style().unpolish(self.phase_label)
        self.phase_label.style().polish(self.phase_label)

    def _update_checkout_label(self) -> None:
        from ui.actions.checkout import checkout_line, held_by

        e = self.ctx.engagement
        line = ""
        if e is not None:
            try:
                line = checkout_line(held_by(self.ctx.store, e.ref))
            except AuditDeskError:
                line = ""  # e.g. the engagement was removed meanwhile: nothing to say about a check-out
        self.checkout_label.setText(line)
        self.checkout_label.setVisible(bool(line))

    def show_banner(self, text: str) -> None:
        self.banner.show_message(text)
        self._banner_holder.setVisible(True)

    # ---- commands --------------------------------------------------------

    def focus_filter(self) -> None:
        view = self.current_view()
        if view is None or not view.focus_filter():
            self.statusBar().showMessage("This screen has no filter.", 3000)

    def new_engagement(self) -> None:
        self._open_new_engagement_wizard()

    def new_engagement_from_matrix(self) -> None:
        """The welcome page's 'import a control matrix': a new engagement, then the matrix import."""
        from ui.dialogs.new_engagement import START_MATRIX

        self._open_new_engagement_wizard(START_MATRIX)

    def _open_new_engagement_wizard(self, start: str | None = None) -> None:
        from ui.dialogs.new_engagement import START_EMPTY, NewEngagementWizard

        wizard = NewEngagementWizard(self.ctx, self, start=start or START_EMPTY)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.engagement_created.connect(self._engagement_created)
        wizard.matrix_import_requested.connect(self.import_controls)
        self.wizard = wizard
        wizard.open()

    def import_controls(self) -> None:
        """Engagement > Import controls…: the control matrix wizard for the open engagement."""
        if self.ctx.engagement is None:
            return
        from ui.dialogs.import_controls import ImportControlsWizard

        wizard = ImportControlsWizard(self.ctx, self)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.controls_imported.connect(self._controls_imported)
        self.import_wizard = wizard
        wizard.open()

    def _controls_imported(self, result: services.ControlImport) -> None:
        # A bulk change: every screen that shows controls reads them again.
        self.ctx.notify(Topic.CONTROLS, Topic.ENGAGEMENT, Topic.ENGAGEMENTS)
        self.statusBar().showMessage(
            f"Controls imported: {len(result.added)} added, {len(result.updated)} updated.", 5000)

    def _engagement_created(self, engagement: Engagement) -> None:
        self.ctx.notify(Topic.ENGAGEMENTS)
        self.open_engagement(engagement.ref, "overview")
        self.statusBar().showMessage(f"Engagement {engagement.ref} created.", 5000)

    def open_settings(self) -> None:
        from ui.dialogs.settings import SettingsDialog

        dialog = SettingsDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._settings_saved)
        self.settings_dialog = dialog
        dialog.open()

    def _settings_saved(self, settings: config.Settings) -> None:
        from PySide6.QtWidgets import QApplication

        from ui import theme

        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply_theme(app, settings.theme)
        self.ctx.profile_changed()
        self.statusBar().showMessage("Settings saved.", 4000)

    def move_to_phase(self, phase: Phase) -> None:
        if self.ctx.engagement is None:
            return
        if feedback.attempt(self, engagement_actions.set_phase, ctx=self.ctx, phase=phase) is not None:
            self.ctx.reload_engagement()
            self.ctx.notify(Topic.ENGAGEMENT, Topic.ENGAGEMENTS)
        else:
            self._update_engagement_labels()  # undo the check mark of a refused move

    def choose_store(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Open a workpaper store", str(config.data_dir()), "AuditDesk stores (*.sqlite *.db);;All files (*)")
        if path:
            self.switch_store(path)

    def switch_store(self, target: str) -> bool:
        # On a PostgreSQL store the acting person is the server login's person, as on the command line.
        store = feedback.attempt(self, services.open_store, target, enforce_logins=True)
        if store is None:
            return False
        if feedback.attempt(self, self.ctx.actor_on, store) is None:
            store.close()  # --as named someone other than the login's person
            return False
        self.use_store(store)
        return True

    def use_store(self, store: services.Store) -> None:
        """Work in ``store`` from now on (closing the previous one); opens its first engagement."""
        previous = self.ctx.switch_store(store)
        previous.close()
        self._banner_holder.setVisible(False)
        self._update_status()
        engagements = services.list_engagements(store.reader())
        if engagements:
            self.open_engagement(engagements[0].ref)

    def in_demo_store(self) -> bool:
        path = self.ctx.store.location.path
        return path is not None and path.resolve() == config.demo_store_path().resolve()

    def open_demo_store(self) -> None:
        """Switch to the demo's own store; the first time, the demo is built there (with progress)."""
        if self.in_demo_store():
            self.show_view("overview" if self.ctx.engagement is not None else ENGAGEMENT_LIST)
            return
        from ui.actions.demo import build_demo_job
        from ui.workers import run_with_progress

        path = config.demo_store_path()
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        store = feedback.attempt(self, services.open_store, str(path))
        if store is None:
            return
        if services.list_engagements(store.reader()):
            self._show_demo(store)
            return
        # Built in one transaction: Cancel leaves the demo store empty and the user where they were.
        self.demo_task = run_with_progress(self, "Creating the demo", lambda: build_demo_job(store=store, actor=None),
                                           on_success=lambda _ref: self._show_demo(store), on_cancel=store.close)
        self.demo_task.failed.connect(lambda _error: store.close())

    def _show_demo(self, store: services.Store) -> None:
        mine = self.ctx.store.label
        self.use_store(store)
        self.show_banner(DEMO_STORE_BANNER.format(store=mine))

    def verify_trail(self) -> None:
        """Help > Verify the audit trail: the chain is recomputed on the worker, the result said in words."""
        from ui.actions.trail import trail_sentence, verify_trail_job
        from ui.workers import run_with_progress

        def show(check: TrailCheck) -> None:
            self.last_trail_check = check
            (feedback.show_info if check.ok else feedback.show_error)(self, trail_sentence(check),
                                                                      title="Audit trail")

        store = self.ctx.store
        self.trail_task = run_with_progress(self, "Verifying the audit trail", lambda: verify_trail_job(store=store),
                                            on_success=show, cancellable=False)

    def export_engagement(self) -> None:
        """File > Export engagement: the open engagement to a portable file, on the worker."""
        from ui.actions.portable import ask_export_path, export_job, export_text
        from ui.workers import run_with_progress

        if self.ctx.engagement is None:
            return
        ref = self.ctx.engagement.ref
        path = ask_export_path(self, ref)
        if path is None:
            return
        store, actor = self.ctx.store, self.ctx.actor
        self.portable_task = run_with_progress(
            self, f"Exporting {ref}", lambda: export_job(store=store, actor=actor, ref=ref, path=path),
            on_success=lambda result: feedback.show_info(self, export_text(result), title="Export engagement"),
            cancellable=False,
        )

    def checkout_engagement(self) -> None:
        """File > Check out for offline work: the open engagement to a file, read-only here until checked in."""
        from auditdesk.services.checkout import CheckoutResult
        from ui.actions.checkout import ask_checkout_path, checkout_job, checkout_text
        from ui.workers import run_with_progress

        if self.ctx.engagement is None:
            return
        ref = self.ctx.engagement.ref
        path = ask_checkout_path(self, ref)
        if path is None:
            return
        store, actor = self.ctx.store, self.ctx.actor

        def done(result: CheckoutResult) -> None:
            self._update_status()
            feedback.show_info(self, checkout_text(result), title="Check out")

        self.checkout_task = run_with_progress(
            self, f"Checking out {ref}", lambda: checkout_job(store=store, actor=actor, ref=ref, path=path),
            on_success=done, cancellable=False,
        )

    def checkin_engagement(self, path: object = None) -> None:
        """File > Check in: a checked-out engagement's file back into this store, all or nothing."""
        from pathlib import Path

        from auditdesk.services.checkout import CheckinResult
        from ui.actions.checkout import ask_checkin_path, checkin_job, checkin_text
        from ui.workers import run_with_progress

        chosen = Path(path) if isinstance(path, str | Path) else ask_checkin_path(self)
        if chosen is None:
            return
        store, actor = self.ctx.store, self.ctx.actor

        def done(result: CheckinResult) -> None:
            self.reload_all()
            self.open_engagement(result.engagement)
            self._update_status()
            feedback.show_info(self, checkin_text(result), title="Check in")

        self.checkout_task = run_with_progress(
            self, "Checking in an engagement", lambda: checkin_job(store=store, actor=actor, path=chosen),
            on_success=done, cancellable=False,
        )
        # A refused check-in changes nothing; the line shows the store's state as it is now.
        self.checkout_task.failed.connect(lambda _error: self._update_status())

    def import_engagement(self, path: object = None) -> None:
        """File > Import engagement: a portable file into this store, checked first, on the worker."""
        from pathlib import Path

        from auditdesk.services.portable import ImportResult
        from ui.actions.portable import ask_import_path, import_job
        from ui.workers import run_with_progress

        chosen = Path(path) if isinstance(path, str | Path) else ask_import_path(self)
        if chosen is None:
            return
        store, actor = self.ctx.store, self.ctx.actor

        def done(result: ImportResult) -> None:
            self.reload_all()
            self.open_engagement(result.engagement)

        self.portable_task = run_with_progress(
            self, "Importing an engagement", lambda: import_job(store=store, actor=actor, path=chosen),
            on_success=done, cancellable=False,
        )

    def verify_file(self) -> None:
        """Help > Verify the engagement's file: every check of `auditdesk verify`, on the worker, each one shown."""
        from ui.actions.portable import show_verification, verify_file_job
        from ui.workers import run_with_progress

        if self.ctx.engagement is None:
            return
        ref = self.ctx.engagement.ref
        store = self.ctx.store

        def show(result: services.Verification) -> None:
            self.last_file_check = result
            show_verification(self, result)

        self.verify_file_task = run_with_progress(
            self, f"Verifying {ref}", lambda: verify_file_job(store=store, ref=ref), on_success=show,
            cancellable=False,
        )

    def about(self) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("auditdesk")
        except PackageNotFoundError:
            number = "development"
        feedback.show_info(self, f"AuditDesk {number}: SOC 2 workpapers for CPA firms.\n\n"
                                 f"Store: {self.ctx.store.label}\nLogs: {config.log_dir()}")

    # ---- persistence -----------------------------------------------------

    def restore_state(self) -> str | None:
        """Restore geometry and splitter sizes; returns the last engagement's ref."""
        settings = window_settings()
        geometry = settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        splitter = settings.value("splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        view = settings.value("view")
        if isinstance(view, str) and view in {v.name for v in WORKSPACE_VIEWS}:
            self._last_workspace_view = view
        last = settings.value("engagement")
        return last if isinstance(last, str) and last else None

    def save_state(self) -> None:
        settings = window_settings()
        settings.setValue("geometry", self.saveGeometry())
        settings.setValue("splitter", self.splitter.saveState())
        settings.setValue("view", self._last_workspace_view)
        if self.ctx.engagement is not None:
            settings.setValue("engagement", self.ctx.engagement.ref)
        settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.remember_state:
            self.save_state()
        super().closeEvent(event)
