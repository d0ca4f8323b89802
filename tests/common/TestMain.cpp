// Test main for the headless libraries: applies dbsplan's process-wide ITK settings, as every
// dbsplan program does, then runs the tests.
#include <gtest/gtest.h>

#include "dbs/imaging/ItkSetup.h"

int main(int argc, char** argv) {
  dbs::configureItk();
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
