/* Writes the hostile shapefiles of tests/bad/shp: a small valid PolyLine
 * shapefile built byte by byte, then one corruption per case. Each file
 * set has a case in tests/bad/cases/shp_NAME.case with the exact message.
 * Usage: gen_bad_shp OUTDIR. Plain C on purpose: shapelib refuses to write
 * most of these, and the bytes must stay exactly as described. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The base shapefile (type 3, PolyLine):
 *   record 0 at offset 100: 1 part, 3 points, content 96 bytes
 *   record 1 at offset 204: 3 parts [0 2 4], 6 points, content 152 bytes
 * .shp 364 bytes, .shx 116 bytes, .dbf one field NAME C(10), 88 bytes. */
#define SHP_SIZE 364
#define SHX_SIZE 116
#define REC0 100 /* offset of record 0's header */
#define REC1 204
#define C0 (REC0 + 8) /* start of record 0's content */
#define C1 (REC1 + 8)

typedef struct {
    unsigned char shp[1024], shx[256], dbf[256];
    size_t shp_size, shx_size, dbf_size;
    int no_shx;
    const char *cpg;
} fileset;

static void be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void le16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void ledouble(unsigned char *p, double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    le64(p, v);
}

static void header(unsigned char *h, size_t size, int type)
{
    memset(h, 0, 100);
    be32(h, 9994);
    be32(h + 24, (uint32_t)(size / 2));
    le32(h + 28, 1000);
    le32(h + 32, (uint32_t)type);
    ledouble(h + 36, 121.0);
    ledouble(h + 44, 31.0);
    ledouble(h + 52, 121.5);
    ledouble(h + 60, 31.5);
}

/* Writes one PolyLine record at off; returns its total size. */
static size_t line_record(unsigned char *p, int number, int nparts, const int *starts, int n,
                          const double *xy)
{
    size_t content = 44 + 4 * (size_t)nparts + 16 * (size_t)n;
    be32(p, (uint32_t)number);
    be32(p + 4, (uint32_t)(content / 2));
    unsigned char *c = p + 8;
    le32(c, 3);
    ledouble(c + 4, 121.0);
    ledouble(c + 12, 31.0);
    ledouble(c + 20, 121.5);
    ledouble(c + 28, 31.5);
    le32(c + 36, (uint32_t)nparts);
    le32(c + 40, (uint32_t)n);
    for (int i = 0; i < nparts; i++)
        le32(c + 44 + 4 * i, (uint32_t)starts[i]);
    for (int i = 0; i < 2 * n; i++)
        ledouble(c + 44 + 4 * nparts + 8 * i, xy[i]);
    return 8 + content;
}

static void dbf_base(fileset *f, int nrec)
{
    unsigned char *d = f->dbf;
    memset(d, 0, sizeof f->dbf);
    d[0] = 0x03;
    d[1] = 95;
    d[2] = 7;
    d[3] = 26;
    le32(d + 4, (uint32_t)nrec);
    le16(d + 8, 65);
    le16(d + 10, 11);
    memcpy(d + 32, "NAME", 4);
    d[32 + 11] = 'C';
    d[32 + 16] = 10;
    d[64] = 0x0d;
    for (int i = 0; i < nrec; i++) {
        unsigned char *r = d + 65 + 11 * i;
        memset(r, ' ', 11);
        char name[12];
        snprintf(name, sizeof name, "line %d", i);
        memcpy(r + 1, name, strlen(name));
    }
    d[65 + 11 * nrec] = 0x1a;
    f->dbf_size = 65 + 11 * (size_t)nrec + 1;
}

static void base(fileset *f)
{
    memset(f, 0, sizeof *f);
    static const double xy0[] = {121.0, 31.0, 121.2, 31.2, 121.4, 31.1};
    static const double xy1[] = {121.1, 31.3, 121.2, 31.4, 121.3, 31.3,
                                 121.4, 31.4, 121.1, 31.1, 121.2, 31.0};
    static const int s0[] = {0}, s1[] = {0, 2, 4};
    header(f->shp, SHP_SIZE, 3);
    size_t off = 100;
    off += line_record(f->shp + off, 1, 1, s0, 3, xy0);
    off += line_record(f->shp + off, 2, 3, s1, 6, xy1);
    f->shp_size = off;

    header(f->shx, SHX_SIZE, 3);
    be32(f->shx + 100, REC0 / 2);
    be32(f->shx + 104, 96 / 2);
    be32(f->shx + 108, REC1 / 2);
    be32(f->shx + 112, 152 / 2);
    f->shx_size = SHX_SIZE;
    dbf_base(f, 2);
}

static const char *outdir;

static void write_file(const char *name, const char *ext, const void *data, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", outdir, name, ext);
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(data, 1, n, fp) != n || fclose(fp) != 0) {
        fprintf(stderr, "gen_bad_shp: cannot write %s\n", path);
        exit(1);
    }
}

static void remove_file(const char *name, const char *ext)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", outdir, name, ext);
    remove(path);
}

static void emit(const char *name, const fileset *f)
{
    write_file(name, "shp", f->shp, f->shp_size);
    if (f->no_shx)
        remove_file(name, "shx");
    else
        write_file(name, "shx", f->shx, f->shx_size);
    write_file(name, "dbf", f->dbf, f->dbf_size);
    if (f->cpg)
        write_file(name, "cpg", f->cpg, strlen(f->cpg));
    else
        remove_file(name, "cpg");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_bad_shp OUTDIR\n");
        return 2;
    }
    outdir = argv[1];
    fileset f;

    /* The valid base itself, so the corruptions are all that differ. */
    base(&f);
    emit("valid", &f);

    base(&f);
    f.shp_size = 50;
    emit("truncated_header", &f);

    base(&f);
    be32(f.shp, 1234);
    emit("bad_file_code", &f);

    base(&f);
    le32(f.shp + 28, 999);
    emit("bad_version", &f);

    base(&f);
    be32(f.shp + 24, 1000); /* 2000 bytes, the file has 364 */
    emit("shp_length_lies", &f);

    base(&f);
    le32(f.shp + 32, 7);
    le32(f.shx + 32, 7);
    emit("unknown_type", &f);

    base(&f);
    le32(f.shp + 32, 31);
    le32(f.shx + 32, 31);
    emit("multipatch", &f);

    base(&f);
    be32(f.shx + 108, 50000); /* record 1 at byte 100000 */
    emit("shx_offset_past_end", &f);

    base(&f);
    be32(f.shx + 108, (REC0 + 8) / 2); /* record 1 starts inside record 0 */
    emit("shx_overlap", &f);

    base(&f);
    be32(f.shx + 108, REC0 / 2); /* record 1 is record 0 again */
    be32(f.shx + 112, (REC1 - REC0 - 8) / 2);
    emit("shx_duplicate", &f);

    base(&f);
    be32(f.shx + 100, 10); /* record 0 at byte 20, inside the header */
    emit("shx_offset_in_header", &f);

    base(&f);
    be32(f.shx + 104, 60); /* 120 bytes; the record says 96 */
    emit("shx_length_lies", &f);

    base(&f);
    f.shx_size += 4;
    emit("shx_size", &f);

    base(&f);
    be32(f.shx + 24, 100); /* 200 bytes, the file has 116 */
    emit("shx_length_field", &f);

    base(&f);
    f.no_shx = 1;
    be32(f.shp + REC1 + 4, 1000); /* 2000 bytes from offset 212 */
    emit("rec_past_eof", &f);

    base(&f);
    be32(f.shp + REC0 + 4, 1);
    be32(f.shx + 104, 1); /* a 2-byte record: no room for a shape type */
    emit("record_too_short", &f);

    base(&f);
    le32(f.shp + C0 + 36, 0x10000000);
    emit("huge_parts", &f);

    base(&f);
    le32(f.shp + C0 + 40, 10);
    emit("points_past_record", &f);

    base(&f);
    le32(f.shp + C0 + 40, (uint32_t)-5);
    emit("negative_points", &f);

    base(&f);
    le32(f.shp + C1 + 44 + 8, 10);
    emit("part_out_of_range", &f);

    base(&f);
    le32(f.shp + C1 + 44 + 4, 4);
    le32(f.shp + C1 + 44 + 8, 2);
    emit("part_decreasing", &f);

    base(&f);
    le32(f.shp + C1 + 44, 1);
    emit("part_not_zero", &f);

    base(&f);
    le32(f.shp + C0, 5);
    emit("type_mismatch", &f);

    base(&f);
    le64(f.shp + C0 + 44 + 4 + 16, 0x7ff8000000000000ULL); /* point 1 x = NaN */
    emit("nan_coord", &f);

    base(&f);
    le64(f.shp + C1 + 44 + 12 + 16 * 3 + 8, 0x7ff0000000000000ULL); /* point 3 y = +Inf */
    emit("inf_coord", &f);

    base(&f);
    le64(f.shp + C0 + 44 + 4 + 16 + 8, 0x7e37e43c8800759cULL); /* point 1 y = 1e300 */
    emit("absurd_coord", &f);

    /* Not corrupt, only empty: no records (an empty map, not an error). */
    base(&f);
    header(f.shp, 100, 3);
    f.shp_size = 100;
    header(f.shx, 100, 3);
    f.shx_size = 100;
    dbf_base(&f, 0);
    emit("empty", &f);

    /* Valid but for its missing .shx: rebuilt in memory. */
    base(&f);
    f.no_shx = 1;
    emit("no_shx", &f);

    base(&f);
    le16(f.dbf + 8, 5000);
    emit("dbf_header_len", &f);

    base(&f);
    f.dbf[64] = 'X'; /* no terminator where the header length puts it */
    emit("dbf_no_terminator", &f);

    base(&f);
    f.dbf[32 + 11] = 'X';
    emit("dbf_bad_field_type", &f);

    base(&f);
    le16(f.dbf + 10, 20);
    emit("dbf_reclen", &f);

    base(&f);
    f.dbf_size = 70;
    emit("dbf_truncated", &f);

    base(&f);
    dbf_base(&f, 3);
    emit("count_mismatch", &f);

    base(&f);
    f.cpg = "NOT-A-CODEPAGE";
    emit("bad_cpg", &f);
    return 0;
}
