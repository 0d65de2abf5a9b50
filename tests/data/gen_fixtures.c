/* Writes the shapefile fixtures of tests/data with shapelib's writing API
 * (and a GBK-encoded CSV, which no editor would keep byte-exact).
 * Usage: gen_fixtures OUTDIR. The outputs are committed; running this again
 * must give the same bytes (shapelib stamps every .dbf with a fixed date). */
#include <iconv.h>
#include <shapefil.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "project/project.h" /* dl_china_from_wgs84, from src/project/chinacrs.c */

static const char *outdir;

static const char WGS84_ESRI[] =
    "GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,"
    "298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]";

static const char EPSG4549_ESRI[] =
    "PROJCS[\"CGCS2000_3_Degree_GK_CM_120E\",GEOGCS[\"GCS_China_Geodetic_Coordinate_System_"
    "2000\",DATUM[\"D_China_2000\",SPHEROID[\"CGCS2000\",6378137.0,298.257222101]],PRIMEM["
    "\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Gauss_Kruger\"],"
    "PARAMETER[\"False_Easting\",500000.0],PARAMETER[\"False_Northing\",0.0],PARAMETER["
    "\"Central_Meridian\",120.0],PARAMETER[\"Scale_Factor\",1.0],PARAMETER[\"Latitude_Of_"
    "Origin\",0.0],UNIT[\"Meter\",1.0]]";

static void die(const char *what, const char *name)
{
    fprintf(stderr, "gen_fixtures: %s: %s\n", name, what);
    exit(1);
}

static char *path_of(const char *name, const char *ext)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s%s", outdir, name, ext);
    return buf;
}

static void write_text(const char *name, const char *ext, const char *text)
{
    FILE *fp = fopen(path_of(name, ext), "wb");
    if (!fp || fputs(text, fp) < 0 || fclose(fp) != 0)
        die("cannot write", path_of(name, ext));
}

/* Removes leftovers so a sidecar a fixture must not have is really absent. */
static void remove_sidecar(const char *name, const char *ext)
{
    remove(path_of(name, ext));
}

static SHPHandle shp_create(const char *name, int type)
{
    SHPHandle h = SHPCreate(path_of(name, ""), type);
    if (!h)
        die("SHPCreate failed", name);
    return h;
}

/* codepage: NULL for shapelib's default (LDID 87), "LDID/n" for a language
 * driver byte without .cpg, anything else is written to the .cpg. */
static DBFHandle dbf_create(const char *name, const char *codepage)
{
    remove_sidecar(name, ".cpg");
    DBFHandle h = codepage ? DBFCreateEx(path_of(name, ".dbf"), codepage)
                           : DBFCreate(path_of(name, ".dbf"));
    if (!h)
        die("DBFCreate failed", name);
    return h;
}

static void add_field(DBFHandle h, const char *name, DBFFieldType type, int width, int dec)
{
    if (DBFAddField(h, name, type, width, dec) < 0)
        die("DBFAddField failed", name);
}

static void add_native_field(DBFHandle h, const char *name, char type, int width, int dec)
{
    if (DBFAddNativeFieldType(h, name, type, width, dec) < 0)
        die("DBFAddNativeFieldType failed", name);
}

static void put_object(SHPHandle h, int type, int nparts, const int *starts, int n,
                       const double *x, const double *y, const double *z, const double *m)
{
    SHPObject *o = SHPCreateObject(type, -1, nparts, starts, NULL, n, x, y, z, m);
    if (!o || SHPWriteObject(h, -1, o) < 0)
        die("SHPWriteObject failed", "object");
    SHPDestroyObject(o);
}

static void put_point(SHPHandle h, double x, double y)
{
    put_object(h, SHPT_POINT, 0, NULL, 1, &x, &y, NULL, NULL);
}

static void put_null(SHPHandle h)
{
    put_object(h, SHPT_NULL, 0, NULL, 0, NULL, NULL, NULL, NULL);
}

/* Converts UTF-8 text to another encoding for the DBF (static buffer). */
static const char *encode(const char *utf8, const char *to)
{
    static char out[256];
    iconv_t cd = iconv_open(to, "UTF-8");
    if (cd == (iconv_t)-1)
        die("iconv_open failed", to);
    char *in = (char *)utf8, *o = out;
    size_t inleft = strlen(utf8), outleft = sizeof out - 1;
    if (iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1)
        die("iconv failed", utf8);
    *o = '\0';
    iconv_close(cd);
    return out;
}

static void put_string(DBFHandle h, int rec, int field, const char *s)
{
    if (!DBFWriteStringAttribute(h, rec, field, s))
        die("DBFWriteStringAttribute failed", s);
}

/* Raw bytes into any field type (dates, numbers written as text). */
static void put_raw(DBFHandle h, int rec, int field, const char *s)
{
    if (!DBFWriteAttributeDirectly(h, rec, field, (void *)s))
        die("DBFWriteAttributeDirectly failed", s);
}

static void points(void)
{
    const char *name = "points";
    SHPHandle s = shp_create(name, SHPT_POINT);
    DBFHandle d = dbf_create(name, "UTF-8");
    add_field(d, "NAME", FTString, 24, 0);
    add_field(d, "NAME_ZH", FTString, 24, 0);
    add_field(d, "POP", FTInteger, 10, 0);
    static const struct {
        const char *name, *zh;
        double x, y;
        int pop;
    } p[] = {
        {"Qingpu", "青浦区", 121.124, 31.150, 1270000},
        {"Zhujiajiao", "朱家角", 121.055, 31.108, 100000},
        {"Jinze", "金泽", 120.920, 31.040, 60000},
        {"Dianshan Lake", "淀山湖", 120.970, 31.120, -1},
    };
    for (int i = 0; i < 4; i++) {
        put_point(s, p[i].x, p[i].y);
        put_string(d, i, 0, p[i].name);
        put_string(d, i, 1, p[i].zh);
        if (p[i].pop < 0)
            DBFWriteNULLAttribute(d, i, 2);
        else
            DBFWriteIntegerAttribute(d, i, 2, p[i].pop);
    }
    SHPClose(s);
    DBFClose(d);
    write_text(name, ".prj", WGS84_ESRI);
}

static void multipoint(void)
{
    const char *name = "multipoint";
    SHPHandle s = shp_create(name, SHPT_MULTIPOINT);
    DBFHandle d = dbf_create(name, "UTF-8");
    add_field(d, "ID", FTInteger, 5, 0);
    double x0[] = {121.0, 121.1, 121.2}, y0[] = {31.0, 31.1, 31.0};
    double x1[] = {120.9, 120.95}, y1[] = {31.2, 31.25};
    put_object(s, SHPT_MULTIPOINT, 0, NULL, 3, x0, y0, NULL, NULL);
    put_object(s, SHPT_MULTIPOINT, 0, NULL, 2, x1, y1, NULL, NULL);
    DBFWriteIntegerAttribute(d, 0, 0, 1);
    DBFWriteIntegerAttribute(d, 1, 0, 2);
    SHPClose(s);
    DBFClose(d);
    write_text(name, ".prj", WGS84_ESRI);
}

/* 300 points in about 0.1 x 0.07 degrees, from a fixed linear congruential
 * generator (the same numbers on every machine): a crowd for label
 * placement. RANK runs 1..300 in a shuffled order, for symbol-sort-key. */
static void dense(void)
{
    const char *name = "dense";
    enum { N = 300 };
    SHPHandle s = shp_create(name, SHPT_POINT);
    DBFHandle d = dbf_create(name, "UTF-8");
    add_field(d, "NAME", FTString, 12, 0);
    add_field(d, "RANK", FTInteger, 5, 0);
    unsigned long long seed = 20261130ULL;
    int rank[N];
    for (int i = 0; i < N; i++)
        rank[i] = i + 1;
    for (int i = 0; i < N; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        double fx = (double)(seed >> 11) / 9007199254740992.0;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        double fy = (double)(seed >> 11) / 9007199254740992.0;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        int j = i + (int)((seed >> 33) % (unsigned long long)(N - i));
        int t = rank[i];
        rank[i] = rank[j];
        rank[j] = t;
        /* Whole micro-degrees, so the .shp bytes do not hang on printf. */
        double x = 121.0 + (double)(long)(fx * 100000) / 1e6;
        double y = 31.1 + (double)(long)(fy * 70000) / 1e6;
        char label[16];
        snprintf(label, sizeof label, "P%03d", i + 1);
        put_point(s, x, y);
        put_string(d, i, 0, label);
        DBFWriteIntegerAttribute(d, i, 1, rank[i]);
    }
    SHPClose(s);
    DBFClose(d);
    write_text(name, ".prj", WGS84_ESRI);
}

/* Two lines: one simple, one in two parts. */
static void write_lines(const char *name, int with_prj)
{
    SHPHandle s = shp_create(name, SHPT_ARC);
    DBFHandle d = dbf_create(name, "UTF-8");
    add_field(d, "NAME", FTString, 20, 0);
    double x0[] = {120.90, 121.00, 121.10}, y0[] = {31.00, 31.05, 31.02};
    int st1[] = {0, 2};
    double x1[] = {120.95, 121.05, 121.00, 121.08, 121.15};
    double y1[] = {31.10, 31.12, 31.20, 31.22, 31.18};
    put_object(s, SHPT_ARC, 1, (int[]){0}, 3, x0, y0, NULL, NULL);
    put_object(s, SHPT_ARC, 2, st1, 5, x1, y1, NULL, NULL);
    put_string(d, 0, 0, "canal");
    put_string(d, 1, 0, "river");
    SHPClose(s);
    DBFClose(d);
    if (with_prj)
        write_text(name, ".prj", WGS84_ESRI);
}

static void lines(void)
{
    write_lines("lines", 1);
}

/* Record 0: one outer ring (clockwise) with a hole (counter-clockwise).
 * Record 1: a multipolygon written out of order, with one outer ring
 * reversed: [0] the hole of A (ccw), [1] outer ring B written ccw (no
 * outer ring contains it, so it becomes one), [2] outer ring A (cw).
 * Organised: B (turned clockwise), A, A's hole. */
static void polygons(void)
{
    const char *name = "polygons";
    SHPHandle s = shp_create(name, SHPT_POLYGON);
    DBFHandle d = dbf_create(name, "UTF-8");
    add_field(d, "NAME", FTString, 20, 0);

    int st0[] = {0, 5};
    double x0[] = {121.00, 121.00, 121.10, 121.10, 121.00,
                   121.02, 121.04, 121.04, 121.02, 121.02};
    double y0[] = {31.00, 31.10, 31.10, 31.00, 31.00, 31.02, 31.02, 31.04, 31.04, 31.02};
    put_object(s, SHPT_POLYGON, 2, st0, 10, x0, y0, NULL, NULL);

    int st1[] = {0, 5, 9};
    double x1[] = {/* hole of A, ccw */ 120.82, 120.84, 120.84, 120.82, 120.82,
                   /* B, ccw */ 120.90, 120.95, 120.90, 120.90,
                   /* A, cw */ 120.80, 120.80, 120.86, 120.86, 120.80};
    double y1[] = {31.02, 31.02, 31.04, 31.04, 31.02,
                   31.20, 31.20, 31.25, 31.20,
                   31.00, 31.06, 31.06, 31.00, 31.00};
    put_object(s, SHPT_POLYGON, 3, st1, 14, x1, y1, NULL, NULL);
    put_string(d, 0, 0, "lake island");
    put_string(d, 1, 0, "archipelago");
    SHPClose(s);
    DBFClose(d);
    write_text(name, ".prj", WGS84_ESRI);
}

/* Z and M variants: drawn in 2D, so only x and y must come back. */
static void zm_variants(void)
{
    {
        const char *name = "pointz";
        SHPHandle s = shp_create(name, SHPT_POINTZ);
        DBFHandle d = dbf_create(name, "UTF-8");
        add_field(d, "ID", FTInteger, 5, 0);
        double x[] = {121.0, 121.1}, y[] = {31.0, 31.1}, z[] = {5.0, 7.5}, m[] = {1.0, 2.0};
        for (int i = 0; i < 2; i++) {
            put_object(s, SHPT_POINTZ, 0, NULL, 1, x + i, y + i, z + i, m + i);
            DBFWriteIntegerAttribute(d, i, 0, i + 1);
        }
        SHPClose(s);
        DBFClose(d);
        write_text(name, ".prj", WGS84_ESRI);
    }
    {
        const char *name = "linem";
        SHPHandle s = shp_create(name, SHPT_ARCM);
        DBFHandle d = dbf_create(name, "UTF-8");
        add_field(d, "ID", FTInteger, 5, 0);
        double x[] = {121.0, 121.05, 121.1, 121.2}, y[] = {31.0, 31.02, 31.0, 31.05};
        double m[] = {0.0, 10.0, 20.0, 30.0};
        put_object(s, SHPT_ARCM, 1, (int[]){0}, 4, x, y, NULL, m);
        DBFWriteIntegerAttribute(d, 0, 0, 1);
        SHPClose(s);
        DBFClose(d);
        write_text(name, ".prj", WGS84_ESRI);
    }
    {
        const char *name = "polygonz";
        SHPHandle s = shp_create(name, SHPT_POLYGONZ);
        DBFHandle d = dbf_create(name, "UTF-8");
        add_field(d, "ID", FTInteger, 5, 0);
        int st[] = {0, 5};
        double x[] = {121.00, 121.00, 121.10, 121.10, 121.00,
                      121.02, 121.04, 121.04, 121.02, 121.02};
        double y[] = {31.00, 31.10, 31.10, 31.00, 31.00, 31.02, 31.02, 31.04, 31.04, 31.02};
        double z[] = {1, 2, 3, 4, 1, 5, 6, 7, 8, 5};
        put_object(s, SHPT_POLYGONZ, 2, st, 10, x, y, z, NULL);
        DBFWriteIntegerAttribute(d, 0, 0, 1);
        SHPClose(s);
        DBFClose(d);
        write_text(name, ".prj", WGS84_ESRI);
    }
}

/* Records 1, 3 and 4 are null shapes; ID holds the record number. */
static void nulls(void)
{
    const char *name = "nulls";
    SHPHandle s = shp_create(name, SHPT_POINT);
    DBFHandle d = dbf_create(name, "UTF-8");
    add_field(d, "ID", FTInteger, 5, 0);
    for (int i = 0; i < 6; i++) {
        if (i == 1 || i == 3 || i == 4)
            put_null(s);
        else
            put_point(s, 121.0 + i * 0.01, 31.0 + i * 0.01);
        DBFWriteIntegerAttribute(d, i, 0, i);
    }
    SHPClose(s);
    DBFClose(d);
    write_text(name, ".prj", WGS84_ESRI);
}

static void encoded(const char *name, const char *codepage, const char *iconv_name,
                    const char *const *names, int n)
{
    SHPHandle s = shp_create(name, SHPT_POINT);
    DBFHandle d = dbf_create(name, codepage);
    add_field(d, "NAME", FTString, 20, 0);
    for (int i = 0; i < n; i++) {
        put_point(s, 121.0 + i * 0.05, 31.1);
        put_string(d, i, 0, encode(names[i], iconv_name));
    }
    SHPClose(s);
    DBFClose(d);
    write_text(name, ".prj", WGS84_ESRI);
}

static void encodings(void)
{
    static const char *const zh[] = {"青浦区", "淀山湖"};
    static const char *const latin[] = {"Zürich", "Genève"};
    encoded("gbk_cpg", "GBK", "GBK", zh, 2);
    encoded("gbk_ldid", "LDID/77", "GBK", zh, 2);
    encoded("latin1", "ISO-8859-1", "ISO-8859-1", latin, 2);

    /* No .cpg and language driver 0: one value in UTF-8, one in Latin-1. */
    const char *name = "ldid0";
    SHPHandle s = shp_create(name, SHPT_POINT);
    DBFHandle d = dbf_create(name, "LDID/0");
    add_field(d, "NAME", FTString, 20, 0);
    put_point(s, 121.0, 31.0);
    put_point(s, 121.1, 31.1);
    put_string(d, 0, 0, "青浦区");
    put_string(d, 1, 0, encode("Zürich", "ISO-8859-1"));
    SHPClose(s);
    DBFClose(d);
    write_text(name, ".prj", WGS84_ESRI);
}

/* Every DBF type with NULL cells:
 *   NAME C(16), SMALL N(5,0), BIG N(15,0), HUGE N(20,0), RATIO N(12,4),
 *   FVAL F(13,5), FLAG L(1), WHEN D(8). */
static void types(void)
{
    const char *name = "types";
    SHPHandle s = shp_create(name, SHPT_POINT);
    DBFHandle d = dbf_create(name, "UTF-8");
    add_field(d, "NAME", FTString, 16, 0);
    add_field(d, "SMALL", FTInteger, 5, 0);
    add_field(d, "BIG", FTDouble, 15, 0);
    add_field(d, "HUGE", FTDouble, 20, 0);
    add_field(d, "RATIO", FTDouble, 12, 4);
    add_native_field(d, "FVAL", 'F', 13, 5);
    add_field(d, "FLAG", FTLogical, 1, 0);
    add_native_field(d, "WHEN", 'D', 8, 0);
    for (int i = 0; i < 4; i++)
        put_point(s, 121.0 + i * 0.01, 31.0);

    put_string(d, 0, 0, "alpha");
    DBFWriteIntegerAttribute(d, 0, 1, 42);
    DBFWriteDoubleAttribute(d, 0, 2, 123456789012.0);
    put_raw(d, 0, 3, "12345678901234567890");
    DBFWriteDoubleAttribute(d, 0, 4, 0.5);
    DBFWriteDoubleAttribute(d, 0, 5, 3.25);
    DBFWriteLogicalAttribute(d, 0, 6, 'T');
    put_raw(d, 0, 7, "20240131");

    put_string(d, 1, 0, "");
    DBFWriteNULLAttribute(d, 1, 1);
    DBFWriteDoubleAttribute(d, 1, 2, -7.0);
    DBFWriteNULLAttribute(d, 1, 3);
    DBFWriteNULLAttribute(d, 1, 4);
    DBFWriteDoubleAttribute(d, 1, 5, -1.5);
    put_raw(d, 1, 6, "n"); /* shapelib only writes T, F and ? */
    DBFWriteNULLAttribute(d, 1, 7);

    put_string(d, 2, 0, "gamma");
    DBFWriteIntegerAttribute(d, 2, 1, 0);
    put_raw(d, 2, 2, "");
    DBFWriteDoubleAttribute(d, 2, 3, 1.0);
    DBFWriteDoubleAttribute(d, 2, 4, 12.3456);
    DBFWriteNULLAttribute(d, 2, 5);
    put_raw(d, 2, 6, "y");
    put_raw(d, 2, 7, "19991231");

    put_string(d, 3, 0, "delta");
    DBFWriteIntegerAttribute(d, 3, 1, -3);
    DBFWriteDoubleAttribute(d, 3, 2, 9.0);
    DBFWriteDoubleAttribute(d, 3, 3, 2.0);
    DBFWriteDoubleAttribute(d, 3, 4, -0.0625);
    DBFWriteDoubleAttribute(d, 3, 5, 100.0);
    put_raw(d, 3, 6, "?");
    put_raw(d, 3, 7, "");
    SHPClose(s);
    DBFClose(d);
    write_text(name, ".prj", WGS84_ESRI);
}

static void missing_sidecars(void)
{
    /* No .shx: the reader rebuilds the index in memory. */
    write_lines("noshx", 1);
    remove_sidecar("noshx", ".shx");

    /* No .prj. */
    const char *name = "noprj";
    SHPHandle s = shp_create(name, SHPT_POINT);
    DBFHandle d = dbf_create(name, "UTF-8");
    add_field(d, "ID", FTInteger, 5, 0);
    put_point(s, 121.0, 31.0);
    DBFWriteIntegerAttribute(d, 0, 0, 1);
    SHPClose(s);
    DBFClose(d);
    remove_sidecar(name, ".prj");

    /* No .dbf: features without attributes. */
    name = "nodbf";
    s = shp_create(name, SHPT_POINT);
    put_point(s, 121.0, 31.0);
    put_point(s, 121.1, 31.1);
    SHPClose(s);
    remove_sidecar(name, ".dbf");
    write_text(name, ".prj", WGS84_ESRI);
}

/* Points in CGCS2000 / 3-degree Gauss-Kruger CM 120E (EPSG:4549), converted
 * from (121.05 31.10), (121.12 31.18), (120.95 31.05) with PROJ's cs2cs. */
static void epsg4549(void)
{
    const char *name = "epsg4549";
    SHPHandle s = shp_create(name, SHPT_POINT);
    DBFHandle d = dbf_create(name, "UTF-8");
    add_field(d, "ID", FTInteger, 5, 0);
    double x[] = {600177.313, 606766.507, 590683.635};
    double y[] = {3442535.526, 3451471.408, 3436905.606};
    for (int i = 0; i < 3; i++) {
        put_point(s, x[i], y[i]);
        DBFWriteIntegerAttribute(d, i, 0, i + 1);
    }
    SHPClose(s);
    DBFClose(d);
    write_text(name, ".prj", EPSG4549_ESRI);
}

/* The four places of points.shp in GCJ-02 and in BD-09, converted from their
 * WGS84 coordinates with dline's own forward function (src/project/chinacrs.c,
 * the published eviltransform/coordtransform formulas). No .prj, as data
 * copied from a Chinese web map has none: the style says `crs: GCJ-02`;
 * gcj02_wgs84prj is the GCJ-02 file with a (wrong) WGS84 .prj. */
static void china_offsets(void)
{
    static const double wgs84[4][2] = {
        {121.124, 31.150}, {121.055, 31.108}, {120.920, 31.040}, {120.970, 31.120}};
    static const char *const names[4] = {"Qingpu", "Zhujiajiao", "Jinze", "Dianshan Lake"};
    static const struct {
        const char *name;
        dl_china_crs crs;
    } f[] = {{"gcj02_points", DL_CHINA_GCJ02}, {"bd09_points", DL_CHINA_BD09},
             {"gcj02_wgs84prj", DL_CHINA_GCJ02}};
    for (int k = 0; k < 3; k++) {
        SHPHandle s = shp_create(f[k].name, SHPT_POINT);
        DBFHandle d = dbf_create(f[k].name, "UTF-8");
        add_field(d, "NAME", FTString, 24, 0);
        for (int i = 0; i < 4; i++) {
            double xy[2] = {wgs84[i][0], wgs84[i][1]};
            dl_china_from_wgs84(f[k].crs, xy, 1);
            put_point(s, xy[0], xy[1]);
            put_string(d, i, 0, names[i]);
        }
        SHPClose(s);
        DBFClose(d);
        /* The third is exported as web-map tools do, with a WGS84 .prj that
         * the style's `crs: GCJ-02` must overrule. */
        if (k == 2)
            write_text(f[k].name, ".prj", WGS84_ESRI);
        else
            remove_sidecar(f[k].name, ".prj");
    }
}

/* A CSV point list in GBK whose coordinate columns have Chinese names, so
 * a style must give both its 'encoding' and its 'lon'/'lat' columns. */
static void csv_gbk(void)
{
    static const char *const rows[] = {
        "编号,名称,经度,纬度\r\n",
        "1,青浦区,121.124,31.150\r\n",
        "2,\"淀山湖, 西岸\",120.959,31.110\r\n",
        "3,佘山,121.190,31.098\r\n",
    };
    FILE *fp = fopen(path_of("gbk_points", ".csv"), "wb");
    if (!fp)
        die("cannot write", path_of("gbk_points", ".csv"));
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (fputs(encode(rows[i], "GBK"), fp) < 0)
            die("cannot write", path_of("gbk_points", ".csv"));
    if (fclose(fp) != 0)
        die("cannot write", path_of("gbk_points", ".csv"));
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_fixtures OUTDIR\n");
        return 2;
    }
    outdir = argv[1];
    points();
    multipoint();
    lines();
    polygons();
    zm_variants();
    nulls();
    encodings();
    types();
    missing_sidecars();
    epsg4549();
    dense();
    china_offsets();
    csv_gbk();
    return 0;
}
