/* Checks a --debug-labels JSON file: it parses, every label has its fields,
 * no two placed labels overlap (line labels by their boxes along the path),
 * no placed icon overlaps another label's text or icon, no placed label or
 * icon leaves the frame (text-padding respected), and every leader line runs
 * from its anchor's side to the edge of its own box without crossing another
 * label or icon; no placed label (its box grown by its padding), icon or
 * leader covers an obstacle (furniture, graticule labels, circles other
 * than the label's own) unless it was allowed to overlap.
 *   check_labels [OPTIONS] FILE.json [MIN_PLACED [MIN_LEADERS]]
 * --all-placed LAYER     every label of layer LAYER is placed (repeatable)
 * --expect LIST          the placed labels, one "layer<TAB>text" line each
 *                        ("<TAB>secondary" added when there is one; newlines
 *                        in text as \n), sorted, are LIST's lines
 * --write-placed LIST    writes that list to LIST instead of comparing
 * --same-as OTHER TOL    OTHER.json places the same labels, every box
 *                        within TOL px of this file's */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPS 0.002 /* coordinates are rounded to 1/1000 px */

typedef struct {
    double x0, y0, x1, y1;
} box;

typedef struct {
    const char *layer, *text, *secondary; /* secondary: NULL when none */
    int placed, overlap, has_leader;
    int has_icon, icon_overlap, icon_alone; /* icon_alone: the box is the icon's */
    double ax, ay, pad;
    box b;
    box icon;
    box *parts; /* collision boxes: the parts of a line label, else the box */
    size_t nparts;
    double leader[4];
} label;

typedef struct {
    const char *kind, *name;
    box b;
    int is_circle;
    double cx, cy, r;
} obstacle;

static int failures;

static void fail(const label *l, const char *what)
{
    fprintf(stderr, "FAIL: label '%s' (%s): %s\n", l ? l->text : "", l ? l->layer : "", what);
    failures++;
}

static int get_num(json_object *o, const char *key, double *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) ||
        (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int)))
        return -1;
    *out = json_object_get_double(v);
    return 0;
}

static int get_box(json_object *o, box *b)
{
    return o && json_object_is_type(o, json_type_object) && !get_num(o, "x0", &b->x0) &&
                   !get_num(o, "y0", &b->y0) && !get_num(o, "x1", &b->x1) &&
                   !get_num(o, "y1", &b->y1) && b->x0 <= b->x1 && b->y0 <= b->y1
               ? 0
               : -1;
}

static int overlap(box a, box b)
{
    return a.x0 < b.x1 - EPS && b.x0 < a.x1 - EPS && a.y0 < b.y1 - EPS && b.y0 < a.y1 - EPS;
}

static box grow(box b, double pad)
{
    box g = {b.x0 - pad, b.y0 - pad, b.x1 + pad, b.y1 + pad};
    return g;
}

/* The box reaches into the circle by more than EPS. */
static int hits_circle(box b, const obstacle *o)
{
    double nx = fmin(fmax(o->cx, b.x0), b.x1) - o->cx, ny = fmin(fmax(o->cy, b.y0), b.y1) - o->cy;
    double r = o->r - EPS;
    return r > 0 && nx * nx + ny * ny < r * r;
}

static int read_obstacle(json_object *o, obstacle *ob)
{
    json_object *v;
    memset(ob, 0, sizeof *ob);
    if (!json_object_object_get_ex(o, "kind", &v) || !json_object_is_type(v, json_type_string))
        return -1;
    ob->kind = json_object_get_string(v);
    if (!json_object_object_get_ex(o, "name", &v))
        return -1;
    ob->name = v ? json_object_get_string(v) : "";
    if (!json_object_object_get_ex(o, "box", &v) || get_box(v, &ob->b))
        return -1;
    if (json_object_object_get_ex(o, "circle", &v)) {
        if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != 3)
            return -1;
        ob->is_circle = 1;
        ob->cx = json_object_get_double(json_object_array_get_idx(v, 0));
        ob->cy = json_object_get_double(json_object_array_get_idx(v, 1));
        ob->r = json_object_get_double(json_object_array_get_idx(v, 2));
    }
    return 0;
}

/* Segment a-b passes through the inside of box (shrunk by EPS). */
static int crosses(const double s[4], box bx)
{
    bx.x0 += EPS;
    bx.y0 += EPS;
    bx.x1 -= EPS;
    bx.y1 -= EPS;
    double t0 = 0, t1 = 1, dx = s[2] - s[0], dy = s[3] - s[1];
    double p[4] = {-dx, dx, -dy, dy}, q[4] = {s[0] - bx.x0, bx.x1 - s[0], s[1] - bx.y0,
                                             bx.y1 - s[1]};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] <= 0)
                return 0;
            continue;
        }
        double t = q[i] / p[i];
        if (p[i] < 0 ? t > t1 : t < t0)
            return 0;
        if (p[i] < 0 && t > t0)
            t0 = t;
        if (p[i] > 0 && t < t1)
            t1 = t;
    }
    return t0 < t1;
}

static int read_label(json_object *o, label *l)
{
    json_object *v;
    memset(l, 0, sizeof *l);
    if (!json_object_object_get_ex(o, "layer", &v) || !json_object_is_type(v, json_type_string))
        return -1;
    l->layer = json_object_get_string(v);
    if (!json_object_object_get_ex(o, "text", &v) || !json_object_is_type(v, json_type_string))
        return -1;
    l->text = json_object_get_string(v);
    if (json_object_object_get_ex(o, "secondary", &v) && json_object_is_type(v, json_type_string))
        l->secondary = json_object_get_string(v);
    if (!json_object_object_get_ex(o, "placed", &v) || !json_object_is_type(v, json_type_boolean))
        return -1;
    l->placed = json_object_get_boolean(v);
    if (json_object_object_get_ex(o, "allow_overlap", &v))
        l->overlap = json_object_get_boolean(v);
    if (json_object_object_get_ex(o, "icon_allow_overlap", &v))
        l->icon_overlap = json_object_get_boolean(v);
    json_object *icon;
    if (!json_object_object_get_ex(o, "icon", &icon))
        return -1;
    if (get_num(o, "padding", &l->pad))
        return -1;
    if (!json_object_object_get_ex(o, "anchor", &v) || json_object_array_length(v) != 2)
        return -1;
    l->ax = json_object_get_double(json_object_array_get_idx(v, 0));
    l->ay = json_object_get_double(json_object_array_get_idx(v, 1));
    if (!json_object_object_get_ex(o, "box", &v))
        return -1;
    if (!l->placed)
        return v == NULL && icon == NULL ? 0 : -1;
    if (get_box(v, &l->b))
        return -1;
    if (icon) {
        if (get_box(icon, &l->icon))
            return -1;
        l->has_icon = 1;
        l->icon_alone = fabs(l->icon.x0 - l->b.x0) < EPS && fabs(l->icon.y0 - l->b.y0) < EPS &&
                        fabs(l->icon.x1 - l->b.x1) < EPS && fabs(l->icon.y1 - l->b.y1) < EPS;
    }
    json_object *parts;
    size_t n = json_object_object_get_ex(o, "parts", &parts) ? json_object_array_length(parts)
                                                              : 0;
    l->parts = calloc(n ? n : 1, sizeof *l->parts);
    if (!l->parts)
        return -1;
    if (n == 0) {
        l->parts[0] = l->b;
        l->nparts = 1;
    }
    for (size_t i = 0; i < n; i++)
        if (get_box(json_object_array_get_idx(parts, i), &l->parts[l->nparts++]))
            return -1;
    if (!json_object_object_get_ex(o, "leader", &v))
        return -1;
    if (v) {
        /* x0,y0 at the anchor, x1,y1 on the box: not ordered like a box. */
        if (get_num(v, "x0", &l->leader[0]) || get_num(v, "y0", &l->leader[1]) ||
            get_num(v, "x1", &l->leader[2]) || get_num(v, "y1", &l->leader[3]))
            return -1;
        l->has_leader = 1;
    }
    return 0;
}

static void check_leader(const label *l, const label *all, size_t n)
{
    const double *s = l->leader;
    box b = l->b;
    /* The end is on the box's edge. */
    int inside = s[2] >= b.x0 - EPS && s[2] <= b.x1 + EPS && s[3] >= b.y0 - EPS &&
                 s[3] <= b.y1 + EPS;
    int on_edge = fabs(s[2] - b.x0) < EPS || fabs(s[2] - b.x1) < EPS || fabs(s[3] - b.y0) < EPS ||
                  fabs(s[3] - b.y1) < EPS;
    if (!inside || !on_edge)
        fail(l, "leader does not end on the edge of its box");
    /* The start lies on the way from the anchor to the end, near the anchor. */
    double dx = s[2] - l->ax, dy = s[3] - l->ay, len = hypot(dx, dy);
    double sx = s[0] - l->ax, sy = s[1] - l->ay;
    if (len <= 0 || fabs(dx * sy - dy * sx) / len > 0.01 || sx * dx + sy * dy < -EPS ||
        hypot(sx, sy) > len)
        fail(l, "leader does not start at its anchor");
    for (size_t j = 0; j < n; j++) {
        if (&all[j] == l || !all[j].placed)
            continue;
        for (size_t k = 0; k < all[j].nparts; k++)
            if (crosses(s, all[j].parts[k])) {
                fail(l, "leader crosses another label");
                return;
            }
        if (all[j].has_icon && crosses(s, all[j].icon)) {
            fail(l, "leader crosses another label's icon");
            return;
        }
    }
}

/* A placed icon is clear of every other placed label's text (line labels:
 * their parts) and icon, unless one of the two was allowed to overlap:
 * place_point_icon puts the icon's box only where it is free and leaves a
 * circle round it (half its diagonal) that later labels and icons keep off.
 *
 * A label's own icon and text are not checked against each other. With
 * automatic or variable anchors the text is placed around the icon's circle
 * as around a circle layer's circle, at least half the diagonal plus the gap
 * from the icon's centre, so its box clears the icon's box (on a diagonal
 * the smaller side of the icon still clears it, since half the diagonal is
 * at least sqrt(2) times half the smaller side); the leader rings are
 * further out still. But a fixed text-anchor (without text-variable-anchor)
 * and the `center` variable anchor put the text on the icon's centre on
 * purpose, and an icon standing alone (no text, or text-optional) has the
 * icon's box as its box: there they overlap as the style asks. */
static void check_icon(const label *a, const label *all, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        const label *b = &all[j];
        if (b == a || !b->placed)
            continue;
        char msg[256];
        if (!b->icon_alone && !a->icon_overlap && !b->overlap) {
            for (size_t k = 0; k < b->nparts; k++)
                if (overlap(a->icon, b->parts[k])) {
                    snprintf(msg, sizeof msg, "icon overlaps label '%s' (%s)", b->text,
                             b->layer);
                    fail(a, msg);
                    break;
                }
        }
        /* Each pair of icons once. */
        if (b > a && b->has_icon && !a->icon_overlap && !b->icon_overlap &&
            overlap(a->icon, b->icon)) {
            snprintf(msg, sizeof msg, "icon overlaps the icon of '%s' (%s)", b->text, b->layer);
            fail(a, msg);
        }
    }
}

/* A circle at the label's anchor is its own point's (as label.c's
 * is_own_circle, 0.01 px, plus the rounding of the file). */
static int own_circle(const label *l, const obstacle *o)
{
    return fabs(o->cx - l->ax) < 0.012 && fabs(o->cy - l->ay) < 0.012;
}

static int hits_obstacle(box b, const obstacle *o, const label *own)
{
    if (!o->is_circle)
        return overlap(b, o->b);
    return !(own && own_circle(own, o)) && hits_circle(b, o);
}

static void fail_obstacle(const label *l, const char *what, const obstacle *o)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s the %s%s%s%s", what, o->kind, *o->name ? " '" : "", o->name,
             *o->name ? "'" : "");
    fail(l, msg);
}

/* label.c's box_free: a placed label's collision boxes, grown by its
 * padding, and its icon keep off every obstacle unless the label (the
 * icon) may overlap; a leader line crosses none. */
static void check_obstacles(const label *l, const obstacle *obs, size_t nobs)
{
    int text_may = l->icon_alone ? l->icon_overlap : l->overlap;
    for (size_t j = 0; j < nobs; j++) {
        const obstacle *o = &obs[j];
        if (!text_may) {
            for (size_t k = 0; k < l->nparts; k++)
                if (hits_obstacle(grow(l->parts[k], l->nparts > 1 || !l->icon_alone ? l->pad : 0),
                                  o, l)) {
                    fail_obstacle(l, "overlaps", o);
                    break;
                }
        }
        if (l->has_icon && !l->icon_alone && !l->icon_overlap && hits_obstacle(l->icon, o, l))
            fail_obstacle(l, "icon overlaps", o);
        if (l->has_leader && !o->is_circle && crosses(l->leader, o->b))
            fail_obstacle(l, "leader crosses", o);
    }
}

static void print_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            fputs("\\n", f);
        else if (*s == '\t')
            fputs("\\t", f);
        else if (*s == '\\')
            fputs("\\\\", f);
        else
            fputc(*s, f);
    }
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The placed labels as sorted "layer<TAB>text" lines, one string; the caller
 * frees it. */
static char *placed_list(const label *ls, size_t n)
{
    char **lines = calloc(n ? n : 1, sizeof *lines);
    size_t m = 0, total = 1;
    for (size_t i = 0; i < n; i++) {
        if (!ls[i].placed)
            continue;
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
            abort();
        print_text(f, ls[i].layer);
        fputc('\t', f);
        print_text(f, ls[i].text);
        if (ls[i].secondary) {
            fputc('\t', f);
            print_text(f, ls[i].secondary);
        }
        fputc('\n', f);
        fclose(f);
        lines[m++] = buf;
        total += len;
    }
    qsort(lines, m, sizeof *lines, compare_strings);
    char *out = malloc(total);
    if (!out)
        abort();
    out[0] = '\0';
    for (size_t i = 0; i < m; i++) {
        strcat(out, lines[i]);
        free(lines[i]);
    }
    free(lines);
    return out;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    int c;
    while ((c = fgetc(f)) != EOF)
        fputc(c, m);
    fclose(m);
    fclose(f);
    return buf;
}

/* Lines of a that b lacks, each printed after `tag`. */
static long print_missing(const char *tag, const char *a, const char *b)
{
    long n = 0;
    char *copy = strdup(b);
    for (const char *p = a; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) + 1 : strlen(p);
        /* Take one matching line out of the copy, so repeats count. */
        char *hit = NULL;
        for (char *q = copy; *q;) {
            char *qe = strchr(q, '\n');
            size_t qlen = qe ? (size_t)(qe - q) + 1 : strlen(q);
            if (qlen == len && !memcmp(q, p, len) && q[0] != '\001') {
                hit = q;
                break;
            }
            q += qlen;
        }
        if (hit) {
            hit[0] = '\001';
        } else {
            fprintf(stderr, "%s %.*s", tag, (int)len, p);
            if (p[len - 1] != '\n')
                fputc('\n', stderr);
            n++;
        }
        p += len;
    }
    free(copy);
    return n;
}

typedef struct {
    json_object *root;
    label *ls;
    size_t n;
    obstacle *obs;
    size_t nobs;
    double w, h, frame;
} report;

static void report_free(report *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->ls[i].parts);
    free(r->ls);
    free(r->obs);
    json_object_put(r->root);
}

/* 0, or 1 with a message. */
static int report_read(const char *path, report *r)
{
    memset(r, 0, sizeof *r);
    json_object *arr, *oarr;
    r->root = json_object_from_file(path);
    if (!r->root) {
        fprintf(stderr, "FAIL: %s is not JSON: %s\n", path, json_util_get_last_err());
        return 1;
    }
    if (get_num(r->root, "width", &r->w) || get_num(r->root, "height", &r->h) ||
        get_num(r->root, "frame_padding", &r->frame) ||
        !json_object_object_get_ex(r->root, "labels", &arr) ||
        !json_object_is_type(arr, json_type_array) ||
        !json_object_object_get_ex(r->root, "obstacles", &oarr) ||
        !json_object_is_type(oarr, json_type_array)) {
        fprintf(stderr, "FAIL: %s lacks width, height, frame_padding, labels or obstacles\n",
                path);
        return 1;
    }
    r->n = json_object_array_length(arr);
    r->ls = calloc(r->n ? r->n : 1, sizeof *r->ls);
    r->nobs = json_object_array_length(oarr);
    r->obs = calloc(r->nobs ? r->nobs : 1, sizeof *r->obs);
    if (!r->ls || !r->obs)
        abort();
    for (size_t i = 0; i < r->n; i++)
        if (read_label(json_object_array_get_idx(arr, i), &r->ls[i]) != 0) {
            fprintf(stderr, "FAIL: %s: label %zu has missing or malformed fields\n", path, i);
            return 1;
        }
    for (size_t i = 0; i < r->nobs; i++)
        if (read_obstacle(json_object_array_get_idx(oarr, i), &r->obs[i]) != 0) {
            fprintf(stderr, "FAIL: %s: obstacle %zu has missing or malformed fields\n", path, i);
            return 1;
        }
    return 0;
}

static int near_box(box a, box b, double tol)
{
    return fabs(a.x0 - b.x0) <= tol && fabs(a.y0 - b.y0) <= tol && fabs(a.x1 - b.x1) <= tol &&
           fabs(a.y1 - b.y1) <= tol;
}

/* Both reports queue the same labels in the same order (the order is the
 * placement order: sort key, then queue order) and place the same ones, in
 * boxes within tol px. */
static void compare_reports(const report *a, const report *b, const char *other, double tol)
{
    if (a->n != b->n) {
        fprintf(stderr, "FAIL: %zu labels, %s has %zu\n", a->n, other, b->n);
        failures++;
        return;
    }
    for (size_t i = 0; i < a->n; i++) {
        const label *x = &a->ls[i], *y = &b->ls[i];
        char msg[512];
        if (strcmp(x->layer, y->layer) || strcmp(x->text, y->text)) {
            snprintf(msg, sizeof msg, "%s has '%s' (%s) in its place", other, y->text, y->layer);
            fail(x, msg);
        } else if (x->placed != y->placed) {
            snprintf(msg, sizeof msg, "%s in this file, %s in %s", x->placed ? "placed" : "dropped",
                     y->placed ? "placed" : "dropped", other);
            fail(x, msg);
        } else if (x->placed && (!near_box(x->b, y->b, tol) || x->has_icon != y->has_icon ||
                                 (x->has_icon && !near_box(x->icon, y->icon, tol)))) {
            snprintf(msg, sizeof msg,
                     "box (%g, %g, %g, %g) is (%g, %g, %g, %g) in %s: more than %g px apart",
                     x->b.x0, x->b.y0, x->b.x1, x->b.y1, y->b.x0, y->b.y0, y->b.x1, y->b.y1, other,
                     tol);
            fail(x, msg);
        }
    }
}

int main(int argc, char **argv)
{
    const char *usage = "usage: check_labels [--all-placed LAYER]... [--expect LIST] "
                        "[--write-placed LIST] [--same-as OTHER.json TOL] FILE.json "
                        "[MIN_PLACED [MIN_LEADERS]]\n";
    const char **all_placed = calloc((size_t)argc, sizeof *all_placed);
    size_t nall = 0;
    const char *expect = NULL, *write = NULL, *same = NULL;
    double same_tol = 0;
    int i0 = 1;
    for (; i0 < argc && !strncmp(argv[i0], "--", 2); i0++) {
        if (!strcmp(argv[i0], "--all-placed") && i0 + 1 < argc)
            all_placed[nall++] = argv[++i0];
        else if (!strcmp(argv[i0], "--expect") && i0 + 1 < argc)
            expect = argv[++i0];
        else if (!strcmp(argv[i0], "--write-placed") && i0 + 1 < argc)
            write = argv[++i0];
        else if (!strcmp(argv[i0], "--same-as") && i0 + 2 < argc) {
            same = argv[++i0];
            same_tol = atof(argv[++i0]);
        } else {
            fputs(usage, stderr);
            return 2;
        }
    }
    if (i0 >= argc) {
        fputs(usage, stderr);
        return 2;
    }
    const char *path = argv[i0];
    long min_placed = argc > i0 + 1 ? atol(argv[i0 + 1]) : 1;
    long min_leaders = argc > i0 + 2 ? atol(argv[i0 + 2]) : 0;
    report rep;
    if (report_read(path, &rep)) {
        report_free(&rep);
        free(all_placed);
        return 1;
    }
    label *ls = rep.ls;
    size_t n = rep.n;
    double w = rep.w, h = rep.h, frame = rep.frame;
    long placed = 0, leaders = 0, icons = 0;
    for (size_t i = 0; i < n; i++) {
        placed += ls[i].placed;
        leaders += ls[i].has_leader;
        icons += ls[i].has_icon;
    }
    for (size_t k = 0; k < nall; k++) {
        size_t seen = 0;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(ls[i].layer, all_placed[k]))
                continue;
            seen++;
            if (!ls[i].placed)
                fail(&ls[i], "dropped, but every label of its layer must be placed");
        }
        if (!seen) {
            fprintf(stderr, "FAIL: no label of layer '%s'\n", all_placed[k]);
            failures++;
        }
    }
    free(all_placed);
    if (expect || write) {
        char *got = placed_list(ls, n);
        if (write) {
            FILE *f = fopen(write, "w");
            if (!f || fputs(got, f) == EOF || fclose(f) != 0) {
                fprintf(stderr, "FAIL: cannot write %s\n", write);
                failures++;
            }
        } else {
            char *want = slurp(expect);
            if (!want) {
                fprintf(stderr, "FAIL: cannot read %s\n", expect);
                failures++;
            } else if (strcmp(got, want)) {
                fprintf(stderr, "FAIL: the placed labels differ from %s:\n", expect);
                print_missing("  missing:", want, got);
                print_missing("  extra:  ", got, want);
                failures++;
            }
            free(want);
        }
        free(got);
    }
    if (same) {
        report other;
        if (report_read(same, &other))
            failures++;
        else
            compare_reports(&rep, &other, same, same_tol);
        report_free(&other);
    }
    for (size_t i = 0; i < n; i++) {
        const label *a = &ls[i];
        if (!a->placed)
            continue;
        double p = fmax(a->pad, frame);
        for (size_t k = 0; k < a->nparts; k++) {
            box b = a->parts[k];
            if (b.x0 < p - EPS || b.y0 < p - EPS || b.x1 > w - p + EPS || b.y1 > h - p + EPS) {
                fail(a, "outside the frame and its padding");
                break;
            }
        }
        if (a->has_icon) {
            box b = a->icon;
            if (b.x0 < frame - EPS || b.y0 < frame - EPS || b.x1 > w - frame + EPS ||
                b.y1 > h - frame + EPS)
                fail(a, "icon outside the frame");
            check_icon(a, ls, n);
        }
        if (a->has_leader)
            check_leader(a, ls, n);
        check_obstacles(a, rep.obs, rep.nobs);
        /* A label standing as its icon alone was placed by the icon's rule. */
        if (a->icon_alone ? a->icon_overlap : a->overlap)
            continue;
        for (size_t j = i + 1; j < n; j++) {
            const label *b = &ls[j];
            if (!b->placed || (b->icon_alone ? b->icon_overlap : b->overlap))
                continue;
            int hit = 0;
            for (size_t k = 0; k < a->nparts && !hit; k++)
                for (size_t m = 0; m < b->nparts && !hit; m++)
                    hit = overlap(a->parts[k], b->parts[m]);
            if (hit) {
                char msg[256];
                snprintf(msg, sizeof msg, "overlaps label '%s' (%s)", b->text, b->layer);
                fail(a, msg);
            }
        }
    }
    if (placed < min_placed) {
        fprintf(stderr, "FAIL: %ld labels placed, expected at least %ld\n", placed, min_placed);
        failures++;
    }
    if (leaders < min_leaders) {
        fprintf(stderr, "FAIL: %ld leader lines, expected at least %ld\n", leaders, min_leaders);
        failures++;
    }
    size_t nobs = rep.nobs;
    report_free(&rep);
    if (failures)
        return 1;
    printf("ok: %s: %zu labels, %ld placed, %ld with leader lines, %ld with icons, %zu obstacles\n",
           path, n, placed, leaders, icons, nobs);
    return 0;
}
