"""The Examples side panel: the notebook's path, each lesson with its explanation."""

from __future__ import annotations

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import QDockWidget, QListWidget, QListWidgetItem, QSplitter, QTextBrowser, QWidget

from derivgui.model.lessons import Lesson, load_lessons


class LessonsDock(QDockWidget):
    lesson_chosen = pyqtSignal(object)  # Lesson

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Examples", parent)
        self.setObjectName("lessonsDock")
        self.list = QListWidget()
        self.list.setObjectName("lessonList")
        self.list.setWordWrap(True)
        self.text = QTextBrowser()
        self.text.setObjectName("lessonText")
        self.text.setOpenExternalLinks(False)
        self.text.setHtml("<h3>Examples</h3><p>Pick an example above: the notebook's path from f(x) = 2x "
                          "to the gradient of sin(√(x² + y²)), and a few more that show where a derivative "
                          "fails. Exercises (✎) start with the check empty and autodiff's answer hidden: type "
                          "your own derivative under <b>Check my derivative</b>.</p>")
        self.lessons = load_lessons()
        for lesson in self.lessons:
            item = QListWidgetItem(("✎ " if lesson.exercise else "") + lesson.title)
            item.setData(Qt.UserRole, lesson.id)
            item.setToolTip("exercise: the check starts empty" if lesson.exercise else lesson.expression)
            self.list.addItem(item)
        self.list.itemActivated.connect(self._on_activated)
        self.list.itemClicked.connect(self._on_activated)
        self.splitter = QSplitter(Qt.Vertical)
        self.splitter.setObjectName("lessonSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.list)
        self.splitter.addWidget(self.text)
        self.splitter.setStretchFactor(1, 1)
        self.setWidget(self.splitter)
        # Narrow enough to sit beside the plot on a 1024-pixel screen: the titles wrap.
        for widget in (self.list, self.text):
            widget.setMinimumSize(140, 60)
        self.dockLocationChanged.connect(self._on_area_changed)
        self.topLevelChanged.connect(lambda _floating: self._on_area_changed(Qt.NoDockWidgetArea))

    def _on_area_changed(self, area) -> None:
        """List above text in a side dock; side by side in a wide, short one under the views."""
        wide = area in (Qt.TopDockWidgetArea, Qt.BottomDockWidgetArea)
        orientation = Qt.Horizontal if wide else Qt.Vertical
        if self.splitter.orientation() != orientation:
            self.splitter.setOrientation(orientation)
            self.splitter.setSizes([400, 600] if wide else [300, 600])

    def _on_activated(self, item: QListWidgetItem) -> None:
        lesson = next(lesson for lesson in self.lessons if lesson.id == item.data(Qt.UserRole))
        self.lesson_chosen.emit(lesson)

    def show_lesson(self, lesson: Lesson) -> None:
        self.text.setHtml(lesson.explanation_html())
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.UserRole) == lesson.id:
                self.list.blockSignals(True)
                self.list.setCurrentRow(row)
                self.list.blockSignals(False)
