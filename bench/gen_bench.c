/* Writes the benchmark's synthetic Qingpu-area shapefiles (roads, parcels with
 * holes, points with Latin and Chinese names) with shapelib's writing API.
 * Usage: gen_bench OUTDIR small|medium|large [SEED]. The same seed and size
 * give the same bytes; the output is not committed (see bench/README.md). */
#include <math.h>
#include <shapefil.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The data box of the issue; roads may wander a little past it. */
#define LON0 120.9
#define LON1 121.3
#define LAT0 31.0
#define LAT1 31.3
#define DEG (3.14159265358979323846 / 180.0)

static const char WGS84_ESRI[] =
    "GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,"
    "298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]";

static const struct {
    const char *name;
    int roads, parcels, points;
} SIZES[] = {
    {"small", 2000, 1000, 200},
    {"medium", 50000, 20000, 5000},
    {"large", 500000, 200000, 50000},
};

static const char *outdir;

static void die(const char *what, const char *name)
{
    fprintf(stderr, "gen_bench: %s: %s\n", name, what);
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

/* splitmix64: a small generator whose sequence is the same on every platform,
 * unlike rand(). */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double uniform(double lo, double hi)
{
    return lo + (hi - lo) * (double)(rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

static int pick(int n)
{
    return (int)(rng_next() % (uint64_t)n);
}

/* Picks an index by weights in percent (they sum to 100). */
static int pick_weighted(const int *pct, int n)
{
    int r = pick(100);
    for (int i = 0; i < n; i++) {
        if (r < pct[i])
            return i;
        r -= pct[i];
    }
    return n - 1;
}

static SHPHandle shp_create(const char *name, int type)
{
    SHPHandle h = SHPCreate(path_of(name, ""), type);
    if (!h)
        die("SHPCreate failed", name);
    write_text(name, ".prj", WGS84_ESRI);
    return h;
}

static DBFHandle dbf_create(const char *name)
{
    DBFHandle h = DBFCreateEx(path_of(name, ".dbf"), "UTF-8"); /* writes the .cpg too */
    if (!h)
        die("DBFCreate failed", name);
    return h;
}

static void add_field(DBFHandle h, const char *name, DBFFieldType type, int width)
{
    if (DBFAddField(h, name, type, width, 0) < 0)
        die("DBFAddField failed", name);
}

static void write_shape(SHPHandle h, SHPObject *o, const char *name)
{
    if (!o || SHPWriteObject(h, -1, o) < 0)
        die("SHPWriteObject failed", name);
    SHPDestroyObject(o);
}

static void put_string(DBFHandle h, int rec, int field, const char *s, const char *name)
{
    if (!DBFWriteStringAttribute(h, rec, field, s))
        die("DBFWriteStringAttribute failed", name);
}

static void put_int(DBFHandle h, int rec, int field, int v, const char *name)
{
    if (!DBFWriteIntegerAttribute(h, rec, field, v))
        die("DBFWriteIntegerAttribute failed", name);
}

/* Random walks of 8..12 vertices, 150..400 m a step, turning up to 25 degrees
 * a step: short streets scattered over the box. */
static void write_roads(int n)
{
    static const char *CLASS[] = {"primary", "secondary", "local"};
    static const int PCT[] = {10, 30, 60};
    SHPHandle s = shp_create("roads", SHPT_ARC);
    DBFHandle d = dbf_create("roads");
    add_field(d, "id", FTInteger, 9);
    add_field(d, "class", FTString, 12);
    double x[12], y[12];
    for (int i = 0; i < n; i++) {
        int nv = 8 + pick(5);
        double heading = uniform(0, 360);
        x[0] = uniform(LON0, LON1);
        y[0] = uniform(LAT0, LAT1);
        for (int k = 1; k < nv; k++) {
            double step = uniform(0.0015, 0.004); /* degrees of latitude */
            heading += uniform(-25, 25);
            x[k] = x[k - 1] + step * sin(heading * DEG) / cos(y[k - 1] * DEG);
            y[k] = y[k - 1] + step * cos(heading * DEG);
        }
        write_shape(s, SHPCreateSimpleObject(SHPT_ARC, nv, x, y, NULL), "roads");
        put_int(d, i, 0, i + 1, "roads");
        put_string(d, i, 1, CLASS[pick_weighted(PCT, 3)], "roads");
    }
    SHPClose(s);
    DBFClose(d);
}

/* Star-shaped polygons of 5..8 vertices, 80..300 m across; one in five has a
 * hole. Outer rings run clockwise and holes anticlockwise, as the shapefile
 * specification asks. */
static void write_parcels(int n)
{
    static const char *KIND[] = {"residential", "farmland", "industrial", "park", "water"};
    static const int PCT[] = {40, 25, 15, 12, 8};
    SHPHandle s = shp_create("parcels", SHPT_POLYGON);
    DBFHandle d = dbf_create("parcels");
    add_field(d, "id", FTInteger, 9);
    add_field(d, "kind", FTString, 12);
    double x[2 * 9 + 2], y[2 * 9 + 2];
    for (int i = 0; i < n; i++) {
        double cx = uniform(LON0, LON1), cy = uniform(LAT0, LAT1);
        double r = uniform(0.0008, 0.003), kx = 1 / cos(cy * DEG);
        int nv = 5 + pick(4), nparts = pick(5) == 0 ? 2 : 1;
        double a0 = uniform(0, 360);
        int starts[2] = {0, nv + 1}, total = 0;
        for (int k = 0; k < nv; k++) { /* clockwise: the angle decreases */
            double a = (a0 - 360.0 * k / nv) * DEG, rr = r * uniform(0.7, 1.0);
            x[total] = cx + rr * cos(a) * kx;
            y[total++] = cy + rr * sin(a);
        }
        x[total] = x[0];
        y[total++] = y[0];
        if (nparts == 2) {
            int first = total;
            for (int k = 0; k < 4; k++) { /* anticlockwise square hole */
                double a = (a0 + 45 + 90.0 * k) * DEG;
                x[total] = cx + 0.3 * r * cos(a) * kx;
                y[total++] = cy + 0.3 * r * sin(a);
            }
            x[total] = x[first];
            y[total++] = y[first];
        }
        write_shape(s,
                    SHPCreateObject(SHPT_POLYGON, -1, nparts, starts, NULL, total, x, y, NULL,
                                    NULL),
                    "parcels");
        put_int(d, i, 0, i + 1, "parcels");
        put_string(d, i, 1, KIND[pick_weighted(PCT, 5)], "parcels");
    }
    SHPClose(s);
    DBFClose(d);
}

/* Place names from Qingpu syllables and a kind of place, in pinyin and in
 * Chinese: "Zhujia Village" / "朱家村". */
static void write_points(int n)
{
    static const struct {
        const char *latin, *zh;
    } SYL[] = {
        {"qing", "青"}, {"pu", "浦"},   {"zhu", "朱"},   {"jia", "家"},  {"jiao", "角"},
        {"xi", "西"},   {"cen", "岑"},  {"lian", "练"},  {"tang", "塘"}, {"jin", "金"},
        {"ze", "泽"},   {"hua", "华"},  {"xin", "新"},   {"bai", "白"},  {"he", "鹤"},
        {"xu", "徐"},   {"jing", "泾"}, {"zhao", "赵"},  {"xiang", "巷"}, {"chong", "重"},
        {"gu", "固"},   {"shan", "山"}, {"hu", "湖"},    {"dong", "东"}, {"nan", "南"},
        {"bei", "北"},  {"ying", "盈"}, {"yang", "杨"},  {"qiao", "桥"}, {"shi", "石"},
    };
    static const struct {
        const char *latin, *zh;
    } KIND[] = {
        {"Village", "村"}, {"Town", "镇"},         {"Park", "公园"},
        {"Station", "站"}, {"School", "学校"},     {"Market", "市场"},
        {"Bridge", "桥"},  {"Hospital", "医院"},
    };
    const int nsyl = (int)(sizeof SYL / sizeof SYL[0]);
    const int nkind = (int)(sizeof KIND / sizeof KIND[0]);
    SHPHandle s = shp_create("points", SHPT_POINT);
    DBFHandle d = dbf_create("points");
    add_field(d, "id", FTInteger, 9);
    add_field(d, "NAME", FTString, 40);
    add_field(d, "NAME_ZH", FTString, 40);
    for (int i = 0; i < n; i++) {
        double x = uniform(LON0, LON1), y = uniform(LAT0, LAT1);
        int a = pick(nsyl), b = pick(nsyl), k = pick(nkind);
        char latin[64], zh[64];
        snprintf(latin, sizeof latin, "%s%s %s", SYL[a].latin, SYL[b].latin, KIND[k].latin);
        latin[0] = (char)(latin[0] - 'a' + 'A');
        snprintf(zh, sizeof zh, "%s%s%s", SYL[a].zh, SYL[b].zh, KIND[k].zh);
        write_shape(s, SHPCreateSimpleObject(SHPT_POINT, 1, &x, &y, NULL), "points");
        put_int(d, i, 0, i + 1, "points");
        put_string(d, i, 1, latin, "points");
        put_string(d, i, 2, zh, "points");
    }
    SHPClose(s);
    DBFClose(d);
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: gen_bench OUTDIR small|medium|large [SEED]\n");
        return 2;
    }
    outdir = argv[1];
    int size = -1;
    for (int i = 0; i < 3; i++)
        if (!strcmp(argv[2], SIZES[i].name))
            size = i;
    if (size < 0) {
        fprintf(stderr, "gen_bench: unknown size '%s' (small, medium or large)\n", argv[2]);
        return 2;
    }
    uint64_t seed = argc == 4 ? strtoull(argv[3], NULL, 10) : 20240517u;
    /* One stream per layer, so changing one layer's count leaves the others alone. */
    rng_state = seed * 3 + 1;
    write_roads(SIZES[size].roads);
    rng_state = seed * 3 + 2;
    write_parcels(SIZES[size].parcels);
    rng_state = seed * 3 + 3;
    write_points(SIZES[size].points);
    printf("gen_bench: %s: %d roads, %d parcels, %d points (seed %llu)\n", argv[2],
           SIZES[size].roads, SIZES[size].parcels, SIZES[size].points,
           (unsigned long long)seed);
    return 0;
}
