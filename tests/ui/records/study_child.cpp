// A child process for the durability tests: it really writes to the workstation database
// the way the app does, so the parent can kill it (SIGKILL) or race it against another.
//   study_child read DB STUDY READER PASSWORD [PAUSE_MS]
//       decides the cases one by one, printing "ack CASE" after each (a reader's pace: PAUSE_MS)
//   study_child read-ui DB STUDY READER PASSWORD [PAUSE_MS]
//       the same through the workstation's reading window (offscreen), pressing B/R; "ack CASE"
//       when the window reports the decision recorded (it then shows the next case)
//   study_child audit DB COUNT TAG               append COUNT audit entries, one per transaction
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "TestSession.h"
#include "dermreader/records/Accounts.h"
#include "dermreader/records/ReaderStudy.h"
#include "dermreader/records/Schema.h"
#include "dermreader/ui/ReadingWindow.h"

#include <QApplication>
#include <QTimer>
#include <QtTest/QTest>

using namespace dermreader::records;

int main(int argc, char** argv) {
    if (argc < 5) {
        std::cerr << "usage: study_child read DB STUDY READER PASSWORD | audit DB COUNT TAG\n";
        return 64;
    }
    const std::string mode = argv[1];
    try {
        Database db = openWorkstationDatabase(argv[2]);
        if (mode == "audit") {
            const int count = std::atoi(argv[3]);
            for (int i = 0; i < count; ++i)
                db.transaction([&] { audit(db, std::nullopt, argv[4], std::to_string(i)); });
            return 0;
        }
        if (mode == "read-ui" && argc >= 6) {
            qputenv("QT_QPA_PLATFORM", "offscreen");
            QApplication app(argc, argv);
            auto workstation = testdata::makeSession(QString::fromUtf8(argv[2]));
            QString error;
            const auto reader = workstation->signIn(argv[4], argv[5], &error);
            if (!reader)
                throw std::runtime_error(error.toStdString());
            auto session = std::make_unique<ReaderSession>(workstation->database(), *reader,
                                                           std::atoll(argv[3]));
            dermreader::ui::ReadingWindow window(*workstation, std::move(session));
            window.show();
            QObject::connect(&window, &dermreader::ui::ReadingWindow::decisionRecorded,
                             [](qint64 caseId) { std::cout << "ack " << caseId << std::endl; });
            QObject::connect(&window, &dermreader::ui::ReadingWindow::finished, [] {
                std::cout << "done" << std::endl;
                QApplication::quit();
            });
            int n = 0;
            QTimer reader_pace;
            QObject::connect(&reader_pace, &QTimer::timeout, [&] {
                QTest::keyClick(&window, (n++ % 3) == 0 ? Qt::Key_B : Qt::Key_R);
            });
            reader_pace.start(argc >= 7 ? std::atoi(argv[6]) : 0);
            return QApplication::exec();
        }
        if (mode == "read" && argc >= 6) {
            Accounts accounts(db);
            const User reader = accounts.authenticate(argv[4], argv[5]);
            ReaderSession session(db, reader, std::atoll(argv[3]));
            const int pauseMs = argc >= 7 ? std::atoi(argv[6]) : 0;
            int n = 0;
            while (auto item = session.next()) {
                Answer answer;
                answer.biopsy = (n++ % 3) == 0;
                session.record(*item, answer, 1.5);
                // Acknowledged only after record() returned, i.e. after the commit.
                std::cout << "ack " << item->caseId << std::endl;
                std::this_thread::sleep_for(std::chrono::milliseconds(pauseMs));
            }
            std::cout << "done" << std::endl;
            return 0;
        }
    } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
    return 64;
}
