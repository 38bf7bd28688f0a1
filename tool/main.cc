#include <cstdio>

int main() {
  std::puts("bpstress");
  return 0;
}
