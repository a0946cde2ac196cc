/*
 * bench/loadgen.h - entry point of the CoAP / CoAP-over-DTLS load generator
 * (`coapsec bench`, standalone as build/bench/coapsec-bench). It drives the
 * sans-I/O CoAP and DTLS engines over its own batched loopback socket and
 * measures a server: handshakes/s, GET requests/s, latency, retransmissions.
 */
#ifndef COAPSEC_BENCH_LOADGEN_H
#define COAPSEC_BENCH_LOADGEN_H

/**
 * Run the load generator with command-line arguments (argv[0] is the program
 * or subcommand name). Returns the process exit status: 0 success, 1 the run
 * completed nothing (no server?), 2 usage error, 3 setup error (socket,
 * memory), 4 the mode is not implemented yet (its figures are reported null).
 */
int cs_bench_main(int argc, char **argv);

#endif /* COAPSEC_BENCH_LOADGEN_H */
