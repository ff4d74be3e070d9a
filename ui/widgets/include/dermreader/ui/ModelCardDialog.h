#pragma once
// View > Model card (Ctrl+I): the model's card as a readable document beside its validation
// ROC curves.

#include <QDialog>

#include "dermreader/workstation/ModelCard.h"

class QChart;
class QTextBrowser;

namespace dermreader::ui {

class ModelCardDialog : public QDialog {
    Q_OBJECT

  public:
    explicit ModelCardDialog(const workstation::ModelCard& card, QWidget* parent = nullptr);

    QString documentText() const;  // the document as plain text, for tests
    QChart* rocChart() const { return chart_; }

  private:
    QTextBrowser* text_;
    QChart* chart_;
};

}  // namespace dermreader::ui
