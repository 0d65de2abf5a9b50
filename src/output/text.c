/* Small text outputs beside the map (the --debug-labels JSON): the same
 * temporary file + rename as the map itself, so a failed write leaves nothing. */
#include "output/output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static mode_t file_mode(void)
{
    /* As output.c: the umask from /proc, so no thread sees it changed. */
    mode_t mask = 022;
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        char line[256];
        unsigned int m;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "Umask: %o", &m) == 1) {
                mask = (mode_t)m;
                break;
            }
        fclose(f);
    }
    return 0666 & ~mask;
}

dline_status dl_output_write_text(dline_ctx *ctx, const char *path, const char *text)
{
    size_t len = strlen(text);
    if (strcmp(path, "-") == 0) {
        if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)
            return dl_error(ctx, DLINE_EIO, "<stdout>", 0, 0, "cannot write: %s",
                            strerror(errno ? errno : EIO));
        return DLINE_OK;
    }
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    const char *name = slash ? slash + 1 : path;
    size_t n = dirlen + strlen(name) + 9;
    char *tmp = malloc(n);
    if (!tmp)
        return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory");
    snprintf(tmp, n, "%.*s.%s.XXXXXX", (int)dirlen, path, name);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return dl_error(ctx, DLINE_EIO, path, 0, 0, "cannot create output: %s", strerror(e));
    }
    int e = 0;
    for (size_t done = 0; done < len && !e;) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno != EINTR)
            e = errno;
        else if (w > 0)
            done += (size_t)w;
    }
    if (!e && fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
        e = errno;
    if (!e && fchmod(fd, file_mode()) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        free(tmp);
        return dl_error(ctx, DLINE_EIO, path, 0, 0, "cannot write output: %s", strerror(e));
    }
    free(tmp);
    return DLINE_OK;
}
