/* Shared by the libFuzzer targets and the replay driver: the entry point
 * every target defines, and a scratch folder for targets whose API takes a
 * path rather than bytes. */
#ifndef DL_FUZZ_H
#define DL_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A folder made once per process (mkdtemp under $TMPDIR or /tmp) and removed
 * with what the targets wrote into it at exit; NULL when it cannot be made.
 * Owned by fuzz_common.c. */
const char *dl_fuzz_dir(void);

/* Writes size bytes to dl_fuzz_dir()/name, replacing the file; with data
 * NULL removes it instead. Writes the full path into path (cap bytes).
 * 0 on success, -1 on failure. */
int dl_fuzz_write(const char *name, const uint8_t *data, size_t size, char *path, size_t cap);

#endif
