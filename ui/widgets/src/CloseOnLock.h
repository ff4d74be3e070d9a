#pragma once
// Windows that show labels, CNN output or patient images close when the workstation locks for
// a blinded reading (nothing of the kind may stay one Alt+Tab away) and when it quits.

#include <QWidget>

#include "dermreader/workstation/WorkstationSession.h"

namespace dermreader::ui {

inline void closeOnLockOrQuit(workstation::WorkstationSession& session, QWidget* window) {
    QObject::connect(&session, &workstation::WorkstationSession::lockChanged, window,
                     [window](bool locked) {
                         if (locked)
                             window->close();
                     });
    QObject::connect(&session, &workstation::WorkstationSession::shuttingDown, window,
                     &QWidget::close);
}

}  // namespace dermreader::ui
