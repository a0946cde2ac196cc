/* placeholder so the test support library is never empty */
typedef int coapsec_testsupport_tu;
