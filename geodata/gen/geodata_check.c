/* geodata_check: reads the committed shapefiles in geodata/ back through shapelib and checks
 * what the generator promises (types, counts, fields, ring order, .prj/.cpg, fixed header). */

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shapefil.h>

enum { PATH_BYTES = 4096, MAX_FIELDS = 8 };

struct layer_expect {
    const char *name;
    int shp_type;
    int count;
    bool projected;           /* EPSG:4549 instead of EPSG:4326 */
    const char *fields;       /* "name:T name:T ..." in file order */
};

static const struct layer_expect layers[] = {
    {"qingpu_sites", SHPT_POINT, 7, false,
     "id:C name_zh:C name_en:C kind:C seq:N label_zh:C label_en:C confidence:C"},
    {"qingpu_boundary", SHPT_POLYGON, 1, false, "adcode:N name_zh:C name_en:C"},
    {"qingpu_boundary_cgcs2000", SHPT_POLYGON, 1, true, "adcode:N name_zh:C name_en:C"},
    {"shanghai_districts", SHPT_POLYGON, 16, false, "adcode:N name_zh:C name_en:C"},
    {"demo_zone_counties", SHPT_POLYGON, 4, false, "adcode:N name_zh:C name_en:C in_demo:L"},
    {"demo_zone_outline", SHPT_POLYGON, 1, false, "name_zh:C name_en:C members:C"},
    {"dianshan_lake", SHPT_POLYGON, 1, false, "name_zh:C name_en:C"},
    {"rivers", SHPT_ARC, 2, false, "name_zh:C name_en:C level:N"},
    {"shanghai_border", SHPT_ARC, 1, false, "name_zh:C name_en:C"},
    {"metro_line17_stations", SHPT_POINT, 14, false, "seq:N name_zh:C name_en:C opened:D"},
    {"metro_line17", SHPT_ARC, 1, false, "line:C name_zh:C name_en:C"},
};

static int errors;

static void bad(const char *layer, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "geodata_check: %s: ", layer);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    errors++;
}

static bool read_small(const char *path, char *buf, size_t size, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    *len = fread(buf, 1, size - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return true;
}

static bool utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2
                : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0)
            return false;
        for (int k = 1; k <= n; k++) {
            if ((p[k] & 0xC0) != 0x80)
                return false;
        }
        p += n + 1;
    }
    return true;
}

static void check_sidecars(const char *dir, const struct layer_expect *e)
{
    char path[PATH_BYTES], buf[2048];
    size_t len;
    snprintf(path, sizeof path, "%s/%s.cpg", dir, e->name);
    if (!read_small(path, buf, sizeof buf, &len) || strcmp(buf, "UTF-8") != 0)
        bad(e->name, ".cpg is not \"UTF-8\"");
    snprintf(path, sizeof path, "%s/%s.prj", dir, e->name);
    const char *want = e->projected ? "PROJCS[\"CGCS2000_3_Degree_GK_CM_120E\""
                                    : "GEOGCS[\"GCS_WGS_1984\"";
    if (!read_small(path, buf, sizeof buf, &len) || strncmp(buf, want, strlen(want)) != 0)
        bad(e->name, ".prj does not start with %s", want);
    snprintf(path, sizeof path, "%s/%s.dbf", dir, e->name);
    unsigned char h[32];
    FILE *f = fopen(path, "rb");
    if (!f || fread(h, 1, 32, f) != 32) {
        bad(e->name, "cannot read the .dbf header");
    } else if (h[0] != 0x03 || h[1] != 95 || h[2] != 7 || h[3] != 26 || h[29] != 0) {
        bad(e->name, ".dbf header: version/date/LDID are not 03/95-07-26/00");
    }
    if (f)
        fclose(f);
}

static bool in_extent(const struct layer_expect *e, double x, double y)
{
    if (e->projected)
        return x > 300000 && x < 800000 && y > 3300000 && y < 3600000;
    return x > 119.5 && x < 122.5 && y > 30.0 && y < 32.0;
}

static void check_shapes(SHPHandle shp, const struct layer_expect *e, double *first_x)
{
    for (int i = 0; i < e->count; i++) {
        SHPObject *o = SHPReadObject(shp, i);
        if (!o) {
            bad(e->name, "cannot read shape %d", i);
            continue;
        }
        if (o->nSHPType != e->shp_type || o->nVertices < 1)
            bad(e->name, "shape %d has the wrong type or no vertices", i);
        for (int v = 0; v < o->nVertices; v++) {
            if (!in_extent(e, o->padfX[v], o->padfY[v])) {
                bad(e->name, "shape %d has a vertex outside the expected extent", i);
                break;
            }
        }
        if (e->shp_type == SHPT_POLYGON) {
            for (int p = 0; p < o->nParts; p++) {
                int s = o->panPartStart[p];
                int end = p + 1 < o->nParts ? o->panPartStart[p + 1] : o->nVertices;
                if (end - s < 4 || o->padfX[s] != o->padfX[end - 1] ||
                    o->padfY[s] != o->padfY[end - 1])
                    bad(e->name, "shape %d has an open or short ring", i);
            }
            /* Returns TRUE when it had to turn a ring: ours must already be in order. */
            if (SHPRewindObject(NULL, o))
                bad(e->name, "shape %d: rings are not clockwise-outer/counter-clockwise-hole", i);
        }
        if (first_x)
            first_x[i] = o->padfX[0];
        SHPDestroyObject(o);
    }
}

static void check_layer(const char *dir, const struct layer_expect *e)
{
    char base[PATH_BYTES];
    snprintf(base, sizeof base, "%s/%s", dir, e->name);
    SHPHandle shp = SHPOpen(base, "rb");
    DBFHandle dbf = DBFOpen(base, "rb");
    if (!shp || !dbf) {
        bad(e->name, "cannot open %s.shp/.dbf", base);
        if (shp)
            SHPClose(shp);
        if (dbf)
            DBFClose(dbf);
        return;
    }
    int before = errors, n, type;
    SHPGetInfo(shp, &n, &type, NULL, NULL);
    if (type != e->shp_type || n != e->count || DBFGetRecordCount(dbf) != n) {
        bad(e->name, "type/count differ: %s, %d shapes", SHPTypeName(type), n);
        goto done;
    }
    check_sidecars(dir, e);

    char expect[256], got[256] = "";
    snprintf(expect, sizeof expect, "%s", e->fields);
    int nf = DBFGetFieldCount(dbf);
    for (int k = 0; k < nf; k++) {
        char name[XBASE_FLDNAME_LEN_READ + 1];
        int width, dec;
        DBFGetFieldInfo(dbf, k, name, &width, &dec);
        size_t len = strlen(got);
        snprintf(got + len, sizeof got - len, "%s%s:%c", k ? " " : "", name,
                 DBFGetNativeFieldType(dbf, k));
    }
    if (strcmp(got, expect) != 0)
        bad(e->name, "fields are \"%s\"", got);

    double x[32];
    check_shapes(shp, e, x);

    for (int i = 0; i < n; i++) {
        for (int k = 0; k < nf; k++) {
            if (DBFGetNativeFieldType(dbf, k) != 'C' || DBFIsAttributeNULL(dbf, i, k))
                continue;
            if (!utf8_ok(DBFReadStringAttribute(dbf, i, k)))
                bad(e->name, "record %d has a text value that is not UTF-8", i);
        }
        int zh = DBFGetFieldIndex(dbf, "name_zh");
        if (zh < 0 || DBFIsAttributeNULL(dbf, i, zh))
            bad(e->name, "record %d has no name_zh", i);
    }

    /* The digital-line sites are numbered east to west. */
    if (strcmp(e->name, "qingpu_sites") == 0) {
        int seq = DBFGetFieldIndex(dbf, "seq"), last = 0;
        double last_x = 1e9;
        for (int i = 0; i < n; i++) {
            if (DBFIsAttributeNULL(dbf, i, seq))
                continue;
            int s = DBFReadIntegerAttribute(dbf, i, seq);
            if (s != last + 1 || !(x[i] < last_x))
                bad(e->name, "seq %d out of east-to-west order", s);
            last = s;
            last_x = x[i];
        }
        if (last != 4)
            bad(e->name, "expected seq 1..4, last is %d", last);
    }
    if (strcmp(e->name, "metro_line17_stations") == 0) {
        int seq = DBFGetFieldIndex(dbf, "seq"), opened = DBFGetFieldIndex(dbf, "opened");
        for (int i = 0; i < n; i++) {
            /* shapelib returns text in one work buffer that the next read overwrites. */
            int s = DBFReadIntegerAttribute(dbf, i, seq);
            const char *d = DBFReadStringAttribute(dbf, i, opened);
            if (s != i + 1 || strlen(d) != 8 || strspn(d, "0123456789") != 8)
                bad(e->name, "record %d: bad seq or opened", i);
        }
    }
    if (errors == before)
        printf("%-26s ok  %-8s %3d features  %s\n", e->name, SHPTypeName(type), n, got);
done:
    SHPClose(shp);
    DBFClose(dbf);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s GEODATA_DIR\n", argc ? argv[0] : "geodata_check");
        return 2;
    }
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++)
        check_layer(argv[1], &layers[i]);
    if (errors)
        fprintf(stderr, "geodata_check: %d problem(s)\n", errors);
    return errors ? 1 : 0;
}
