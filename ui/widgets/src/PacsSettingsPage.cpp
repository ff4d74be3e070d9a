#include "dermreader/ui/PacsSettingsPage.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>
#include <set>

#include "dermreader/workstation/Jobs.h"
#include "dermreader/workstation/PacsTransfers.h"
#include "dermreader/workstation/WorkstationSession.h"

namespace dermreader::ui {

namespace ws = dermreader::workstation;

namespace {

QSpinBox* portBox(int value, QWidget* parent) {
    auto* box = new QSpinBox(parent);
    box->setRange(1, 65535);
    box->setValue(value);
    return box;
}

QString text(const std::string& value) {
    return QString::fromStdString(value);
}

}  // namespace

PacsSettingsPage::PacsSettingsPage(const ws::PacsSettings& current, ws::WorkstationSession* session,
                                   QWidget* parent)
    : QWidget(parent), session_(session), nodes_(current.nodes), timeouts_(current.timeouts) {
    list_ = new QListWidget(this);
    for (const auto& node : nodes_)
        list_->addItem(text(node.name));
    auto* add = new QPushButton(tr("A&dd node"), this);
    auto* remove = new QPushButton(tr("&Remove node"), this);
    name_ = new QLineEdit(this);
    aeTitle_ = new QLineEdit(this);
    aeTitle_->setMaxLength(16);
    host_ = new QLineEdit(this);
    port_ = portBox(104, this);
    retrieve_ = new QComboBox(this);
    retrieve_->addItem(tr("C-GET (no inbound connection)"),
                       static_cast<int>(pacs::RetrieveMethod::Get));
    retrieve_->addItem(tr("C-MOVE to this workstation"),
                       static_cast<int>(pacs::RetrieveMethod::Move));
    tls_ = new QCheckBox(tr("Use DICOM &TLS"), this);
    trusted_ = new QLineEdit(this);
    trusted_->setPlaceholderText(tr("PEM file: the node's certificate or its CA"));
    certificate_ = new QLineEdit(this);
    certificate_->setPlaceholderText(tr("optional: our certificate (PEM)"));
    privateKey_ = new QLineEdit(this);
    privateKey_->setPlaceholderText(tr("optional: our private key (PEM)"));
    test_ = new QPushButton(tr("Test &connection"), this);
    test_->setEnabled(session_ != nullptr);
    testResult_ = new QLabel(this);
    testResult_->setWordWrap(true);
    ourAeTitle_ = new QLineEdit(text(current.local.aeTitle), this);
    ourAeTitle_->setMaxLength(16);
    ourPort_ = portBox(current.local.storePort, this);

    auto* nodeForm = new QFormLayout;
    nodeForm->addRow(tr("&Name"), name_);
    nodeForm->addRow(tr("&AE title"), aeTitle_);
    nodeForm->addRow(tr("&Host"), host_);
    nodeForm->addRow(tr("P&ort"), port_);
    nodeForm->addRow(tr("Retrieve &by"), retrieve_);
    nodeForm->addRow(QString(), tls_);
    nodeForm->addRow(tr("Tr&usted certificate"), trusted_);
    nodeForm->addRow(tr("Our certi&ficate"), certificate_);
    nodeForm->addRow(tr("Our private &key"), privateKey_);
    nodeForm->addRow(test_, testResult_);
    auto* listButtons = new QHBoxLayout;
    listButtons->addWidget(add);
    listButtons->addWidget(remove);
    auto* listColumn = new QVBoxLayout;
    listColumn->addWidget(list_);
    listColumn->addLayout(listButtons);
    auto* nodes = new QGroupBox(tr("DICOM nodes"), this);
    auto* nodesLayout = new QHBoxLayout(nodes);
    nodesLayout->addLayout(listColumn, 1);
    nodesLayout->addLayout(nodeForm, 2);
    auto* own = new QGroupBox(tr("This workstation"), this);
    auto* ownForm = new QFormLayout(own);
    ownForm->addRow(tr("Our AE t&itle"), ourAeTitle_);
    ownForm->addRow(tr("Our C-&STORE port (C-MOVE)"), ourPort_);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(nodes);
    layout->addWidget(own);

    connect(add, &QPushButton::clicked, this, &PacsSettingsPage::addNode);
    connect(remove, &QPushButton::clicked, this, &PacsSettingsPage::removeNode);
    connect(test_, &QPushButton::clicked, this, &PacsSettingsPage::testConnection);
    connect(list_, &QListWidget::currentRowChanged, this, [this](int row) {
        storeShownNode();
        showNode(row);
    });
    connect(name_, &QLineEdit::textEdited, this, [this](const QString& name) {
        if (QListWidgetItem* item = list_->item(shown_))
            item->setText(name);
    });
    showNode(nodes_.empty() ? -1 : 0);
    if (!nodes_.empty())
        list_->setCurrentRow(0);
}

pacs::DicomNode PacsSettingsPage::nodeFromForm() const {
    pacs::DicomNode node;
    node.name = name_->text().trimmed().toStdString();
    node.aeTitle = aeTitle_->text().trimmed().toStdString();
    node.host = host_->text().trimmed().toStdString();
    node.port = static_cast<std::uint16_t>(port_->value());
    node.retrieve = static_cast<pacs::RetrieveMethod>(retrieve_->currentData().toInt());
    node.tls.enabled = tls_->isChecked();
    node.tls.trustedCertificates = trusted_->text().trimmed().toStdString();
    node.tls.certificate = certificate_->text().trimmed().toStdString();
    node.tls.privateKey = privateKey_->text().trimmed().toStdString();
    return node;
}

void PacsSettingsPage::storeShownNode() {
    if (shown_ >= 0 && shown_ < static_cast<int>(nodes_.size()))
        nodes_[static_cast<std::size_t>(shown_)] = nodeFromForm();
}

void PacsSettingsPage::showNode(int row) {
    shown_ = row;
    const bool valid = row >= 0 && row < static_cast<int>(nodes_.size());
    const pacs::DicomNode node = valid ? nodes_[static_cast<std::size_t>(row)] : pacs::DicomNode{};
    for (QWidget* field : std::initializer_list<QWidget*>{
             name_, aeTitle_, host_, port_, retrieve_, tls_, trusted_, certificate_, privateKey_})
        field->setEnabled(valid);
    test_->setEnabled(valid && session_ != nullptr);
    name_->setText(text(node.name));
    aeTitle_->setText(text(node.aeTitle));
    host_->setText(text(node.host));
    port_->setValue(node.port);
    retrieve_->setCurrentIndex(retrieve_->findData(static_cast<int>(node.retrieve)));
    tls_->setChecked(node.tls.enabled);
    trusted_->setText(text(node.tls.trustedCertificates));
    certificate_->setText(text(node.tls.certificate));
    privateKey_->setText(text(node.tls.privateKey));
    testResult_->clear();
}

void PacsSettingsPage::addNode() {
    storeShownNode();
    pacs::DicomNode node;
    node.name = tr("PACS %1").arg(nodes_.size() + 1).toStdString();
    node.aeTitle = "PACS";
    node.host = "localhost";
    nodes_.push_back(node);
    list_->addItem(text(node.name));
    list_->setCurrentRow(list_->count() - 1);
    name_->setFocus();
    name_->selectAll();
}

void PacsSettingsPage::removeNode() {
    const int row = list_->currentRow();
    if (row < 0)
        return;
    shown_ = -1;  // the form's contents go with the node
    nodes_.erase(nodes_.begin() + row);
    delete list_->takeItem(row);
    showNode(list_->currentRow());
}

void PacsSettingsPage::testConnection() {
    if (!session_ || shown_ < 0)
        return;
    storeShownNode();
    const ws::PacsSettings current = settings();
    const pacs::DicomNode node = nodes_[static_cast<std::size_t>(shown_)];
    const pacs::PacsClient client = ws::pacsClient(current, node);
    testResult_->setText(tr("Connecting…"));
    test_->setEnabled(false);
    ws::Job* job = session_->jobs().start(
        tr("PACS connection test"), [client](ws::JobContext&) { client.echo(); }, this,
        [this, node] { testResult_->setText(tr("OK: %1 answered.").arg(text(node.describe()))); });
    connect(job, &ws::Job::failed, this,
            [this](const QString& message) { testResult_->setText(message); });
    connect(job, &ws::Job::finished, this, [this] { test_->setEnabled(shown_ >= 0); });
}

QString PacsSettingsPage::testResult() const {
    return testResult_->text();
}

ws::PacsSettings PacsSettingsPage::settings() const {
    ws::PacsSettings settings;
    settings.nodes = nodes_;
    if (shown_ >= 0 && shown_ < static_cast<int>(settings.nodes.size()))
        settings.nodes[static_cast<std::size_t>(shown_)] = nodeFromForm();
    settings.local.aeTitle = ourAeTitle_->text().trimmed().toStdString();
    settings.local.storePort = static_cast<std::uint16_t>(ourPort_->value());
    settings.timeouts = timeouts_;
    return settings;
}

QString PacsSettingsPage::problem() const {
    const ws::PacsSettings current = settings();
    std::set<std::string> names;
    for (const auto& node : current.nodes) {
        if (const std::string problem = pacs::problemWith(node); !problem.empty())
            return tr("PACS node '%1': %2").arg(text(node.name), text(problem));
        if (!names.insert(node.name).second)
            return tr("Two PACS nodes are called '%1'").arg(text(node.name));
    }
    return text(pacs::problemWith(current.local));
}

}  // namespace dermreader::ui
