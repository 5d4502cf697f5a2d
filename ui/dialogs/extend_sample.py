"""Extend a sample: more items, or onto a longer period's population, keeping every prior pick."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from auditdesk import services


class ExtendSampleDialog(QDialog):
    def __init__(self, sample: services.Sample, populations: tuple[services.Population, ...],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("extendSampleDialog")
        self.setWindowTitle(f"Extend sample {sample.id} of {sample.control_ref}")
        self.sample = sample
        intro = QLabel(
            f"The sample has {sample.size} items. The items already selected stay; the selection continues from "
            "the receipt, so the extended sample can be re-performed like the first one."
        )
        intro.setWordWrap(True)
        self.size_spin = QSpinBox()
        current = next((p for p in populations if p.id == sample.population_id), None)
        self.size_spin.setRange(sample.size + 1, max(sample.size + 1, current.rows if current else 1_000_000))
        self.size_spin.setValue(min(sample.size + 5, self.size_spin.maximum()))
        self.population_combo = QComboBox()
        for p in populations:
            self.population_combo.addItem(f"{p.name} ({p.rows:,} items)", p.id)
        self.population_combo.setCurrentIndex(max(self.population_combo.findData(sample.population_id), 0))
        self.population_combo.setToolTip("Choose a longer period's population to roll the sample forward onto it")
        self._rows = {p.id: p.rows for p in populations}
        self.population_combo.currentIndexChanged.connect(self._population_changed)
        form = QFormLayout()
        form.addRow("New size", self.size_spin)
        form.addRow("Population", self.population_combo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Extend")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _population_changed(self) -> None:
        rows = self._rows.get(self.population_combo.currentData(), 1_000_000)
        self.size_spin.setMaximum(max(self.sample.size + 1, rows))

    @property
    def new_size(self) -> int:
        return self.size_spin.value()

    @property
    def population_id(self) -> int | None:
        chosen = self.population_combo.currentData()
        return None if chosen == self.sample.population_id else int(chosen)
