/* Checks a --debug-labels JSON file: it parses, every label has its fields,
 * no two placed labels overlap (line labels by their boxes along the path),
 * no placed icon overlaps another label's text or icon, no placed label or
 * icon leaves the frame (text-padding respected), and every leader line runs
 * from its anchor's side to the edge of its own box without crossing another
 * label or icon.
 *   check_labels FILE.json [MIN_PLACED [MIN_LEADERS]] */
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
    const char *layer, *text;
    int placed, overlap, has_leader;
    int has_icon, icon_overlap, icon_alone; /* icon_alone: the box is the icon's */
    double ax, ay, pad;
    box b;
    box icon;
    box *parts; /* collision boxes: the parts of a line label, else the box */
    size_t nparts;
    double leader[4];
} label;

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

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: check_labels FILE.json [MIN_PLACED [MIN_LEADERS]]\n");
        return 2;
    }
    long min_placed = argc > 2 ? atol(argv[2]) : 1, min_leaders = argc > 3 ? atol(argv[3]) : 0;
    json_object *root = json_object_from_file(argv[1]);
    if (!root) {
        fprintf(stderr, "FAIL: %s is not JSON: %s\n", argv[1], json_util_get_last_err());
        return 1;
    }
    double w, h, frame;
    json_object *arr;
    if (get_num(root, "width", &w) || get_num(root, "height", &h) ||
        get_num(root, "frame_padding", &frame) ||
        !json_object_object_get_ex(root, "labels", &arr) ||
        !json_object_is_type(arr, json_type_array)) {
        fprintf(stderr, "FAIL: %s lacks width, height, frame_padding or labels\n", argv[1]);
        return 1;
    }
    size_t n = json_object_array_length(arr);
    label *ls = calloc(n ? n : 1, sizeof *ls);
    long placed = 0, leaders = 0, icons = 0;
    for (size_t i = 0; i < n; i++) {
        if (read_label(json_object_array_get_idx(arr, i), &ls[i]) != 0) {
            fprintf(stderr, "FAIL: label %zu has missing or malformed fields\n", i);
            return 1;
        }
        placed += ls[i].placed;
        leaders += ls[i].has_leader;
        icons += ls[i].has_icon;
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
    for (size_t i = 0; i < n; i++)
        free(ls[i].parts);
    free(ls);
    json_object_put(root);
    if (failures)
        return 1;
    printf("ok: %s: %zu labels, %ld placed, %ld with leader lines, %ld with icons\n", argv[1], n,
           placed, leaders, icons);
    return 0;
}
