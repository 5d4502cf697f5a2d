"""User actions: one small keyword-only function per action, calling one service.

Actions catch nothing. The caller (a widget through ``ui.feedback.attempt`` or
an undo command) turns an expected ``AuditDeskError`` into a message, and
announces the returned records on the ``AppContext`` so views refresh.
"""
