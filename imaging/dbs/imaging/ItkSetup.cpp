#include "dbs/imaging/ItkSetup.h"

#include <itkMultiThreaderBase.h>

namespace dbs {

void configureItk() {
  itk::MultiThreaderBase::SetGlobalDefaultThreader(itk::MultiThreaderBaseEnums::Threader::Platform);
}

}  // namespace dbs
