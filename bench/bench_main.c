/*
 * bench/bench_main.c - the standalone load generator program
 * (build/bench/coapsec-bench): the same code as `coapsec bench`.
 */
#include "loadgen.h"

int main(int argc, char **argv) {
    return cs_bench_main(argc, argv);
}
