/* The scratch folder of the fuzz targets: one per process, so parallel
 * fuzzers and ctest -j runs never share files. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[4096];
static const char *const names[] = {"in.shp", "in.shx", "in.dbf", "in.prj", "in.cpg",
                                    "in.qix", "in.csv", "style.yaml"};

static void cleanup(void)
{
    char p[4200];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
}

const char *dl_fuzz_dir(void)
{
    if (dir[0])
        return dir;
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    if ((size_t)snprintf(dir, sizeof dir, "%s/dline-fuzz.XXXXXX", tmp) >= sizeof dir ||
        !mkdtemp(dir)) {
        dir[0] = '\0';
        return NULL;
    }
    atexit(cleanup);
    return dir;
}

int dl_fuzz_write(const char *name, const uint8_t *data, size_t size, char *path, size_t cap)
{
    const char *d = dl_fuzz_dir();
    if (!d || (size_t)snprintf(path, cap, "%s/%s", d, name) >= cap)
        return -1;
    if (!data) {
        unlink(path);
        return 0;
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(data, 1, size, f) == size;
    return fclose(f) == 0 && ok ? 0 : -1;
}
