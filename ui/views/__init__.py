"""The screens of the main window; ``registry.WORKSPACE_VIEWS`` lists them in navigator order."""
