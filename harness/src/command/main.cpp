// The loopcert executable: the dynamic route (--adapter LIB.so).
#include "loopcert/loopcert.hpp"

int main(int argc, char** argv) { return loopcert::main(argc, argv); }
