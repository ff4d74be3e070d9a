#pragma once
// The workstation's PACS work for the windows to run on the session's job pool: a client for a
// configured node, where a retrieved study goes (the library browser then imports that folder
// like any other), and the job's progress and cancel handed to the client.

#include <QString>
#include <QStringList>

#include "dermreader/pacs/PacsClient.h"
#include "dermreader/workstation/Settings.h"

namespace dermreader::workstation {

class JobContext;

// <root>/<patient ID>_<study date>_<study UID>, characters unsafe in file names replaced: one
// folder per study, so retrieving it again refreshes the same images.
QString retrievalFolder(const QString& root, const pacs::StudyRecord& study);
// Beside the library database ("<its folder>/pacs"), else in the user's data location.
QString retrievalRoot(const QString& databasePath);

pacs::PacsClient pacsClient(const PacsSettings& settings, const pacs::DicomNode& node);
// The client's progress reported as the job's; cancelling the job cancels the transfer.
pacs::Progress jobProgress(JobContext& context);

// Both below: a cancelled job's transfer ends as JobCancelled (a cancelled job, not an error);
// other failures throw pacs::PacsError.

// Retrieves the study's chosen series (none: its dermatology series) into its folder under
// `root`; the files that arrived.
pacs::RetrieveReport retrieveStudy(const pacs::PacsClient& client, const pacs::StudyRecord& study,
                                   const std::vector<std::string>& series, const QString& root,
                                   JobContext& context);
// Sends DICOM files (a case's results) to the node. Throws when the connection fails before
// anything was stored; files the node refuses, and a connection lost midway, are problem lines.
pacs::StoreReport sendFiles(const pacs::PacsClient& client, const QStringList& files,
                            JobContext& context);

}  // namespace dermreader::workstation
