/* --debug-labels: every queued label as JSON (json-c), so tests and people can
 * check placement without reading pixels. */
#include "render/render_int.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Coordinates are rounded to 1/1000 px: enough to check, stable to diff. */
static json_object *num(double v)
{
    double r = round(v * 1000) / 1000;
    char buf[64];
    snprintf(buf, sizeof buf, "%.12g", r == 0 ? 0 : r); /* no "-0" */
    return json_object_new_double_s(r, buf);
}

static json_object *box_json(dl_box b)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "x0", num(b.x0));
    json_object_object_add(o, "y0", num(b.y0));
    json_object_object_add(o, "x1", num(b.x1));
    json_object_object_add(o, "y1", num(b.y1));
    return o;
}

static json_object *label_json(const dl_label *l, size_t order)
{
    const dl_style_layer *layer = l->layer;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "order", json_object_new_int64((int64_t)order));
    json_object_object_add(o, "layer", json_object_new_string(layer->id ? layer->id : ""));
    json_object_object_add(o, "text", json_object_new_string(l->text));
    if (l->secondary)
        json_object_object_add(o, "secondary", json_object_new_string(l->secondary));
    json_object_object_add(o, "placement", json_object_new_string(l->line ? "line" : "point"));
    json_object *anchor = json_object_new_array();
    json_object_array_add(anchor, num(l->x));
    json_object_array_add(anchor, num(l->y));
    json_object_object_add(o, "anchor", anchor);
    json_object_object_add(o, "sort_key", json_object_new_double(l->sort_key));
    /* The padding placement kept: markers along a line (place_icons_along)
     * keep none, as icons have no padding property here. */
    int marker = l->line && layer->icon_image;
    json_object_object_add(o, "padding",
                           num(!marker && layer->text_padding > 0 ? layer->text_padding : 0));
    json_object_object_add(o, "allow_overlap",
                           json_object_new_boolean(layer->text_allow_overlap != 0));
    json_object_object_add(o, "placed", json_object_new_boolean(l->placed != 0));
    json_object_object_add(o, "box", l->placed ? box_json(l->box) : NULL);
    /* A point's icon (markers along lines are among the parts). When the
     * icon stands alone its box is the label's box too. */
    json_object_object_add(o, "icon", l->placed && l->has_icon ? box_json(l->icon_box) : NULL);
    json_object_object_add(o, "icon_allow_overlap",
                           json_object_new_boolean(layer->icon_allow_overlap != 0));
    if (l->line) {
        json_object *parts = json_object_new_array();
        for (size_t i = 0; i < l->nparts; i++)
            json_object_array_add(parts, box_json(l->parts[i]));
        json_object_object_add(o, "parts", parts);
    }
    json_object *leader = NULL;
    if (l->placed && l->has_leader) {
        leader = json_object_new_object();
        json_object_object_add(leader, "x0", num(l->leader[0]));
        json_object_object_add(leader, "y0", num(l->leader[1]));
        json_object_object_add(leader, "x1", num(l->leader[2]));
        json_object_object_add(leader, "y1", num(l->leader[3]));
    }
    json_object_object_add(o, "leader", leader);
    return o;
}

char *dl_render_labels_json(const dl_render *r)
{
    json_object *root = json_object_new_object();
    if (!root)
        return NULL;
    json_object_object_add(root, "width", num(r->width));
    json_object_object_add(root, "height", num(r->height));
    json_object_object_add(root, "frame_padding", num(DL_LABEL_FRAME_PAD));
    json_object_object_add(root, "placed", json_object_new_int64((int64_t)r->placed));
    json_object_object_add(root, "dropped", json_object_new_int64((int64_t)r->dropped));
    json_object *labels = json_object_new_array();
    for (size_t i = 0; i < r->nlabels; i++)
        json_object_array_add(labels, label_json(&r->labels[i], i));
    json_object_object_add(root, "labels", labels);
    /* What labels keep clear of: the furniture's and graticule labels'
     * boxes, then the circle layers' circles (placed icons are the labels'). */
    json_object *obstacles = json_object_new_array();
    for (size_t i = 0; i < r->nobstacles; i++) {
        const dl_obstacle *ob = &r->obstacles[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "kind", json_object_new_string(ob->kind));
        json_object_object_add(o, "name", ob->name ? json_object_new_string(ob->name) : NULL);
        json_object_object_add(o, "box", box_json(ob->box));
        json_object_array_add(obstacles, o);
    }
    for (size_t i = 0; i < r->map_circles && i < r->ncircles; i++) {
        dl_circle c = r->circles[i];
        dl_box b = {c.x - c.r, c.y - c.r, c.x + c.r, c.y + c.r};
        json_object *o = json_object_new_object();
        json_object_object_add(o, "kind", json_object_new_string("circle"));
        json_object_object_add(o, "name", NULL);
        json_object_object_add(o, "box", box_json(b));
        json_object *circle = json_object_new_array();
        json_object_array_add(circle, num(c.x));
        json_object_array_add(circle, num(c.y));
        json_object_array_add(circle, num(c.r));
        json_object_object_add(o, "circle", circle);
        json_object_array_add(obstacles, o);
    }
    json_object_object_add(root, "obstacles", obstacles);
    const char *text = json_object_to_json_string_ext(
        root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *out = text ? dl_strdup(text) : NULL;
    json_object_put(root);
    if (!out)
        return NULL;
    /* A file ends with a newline. */
    size_t n = strlen(out);
    char *nl = realloc(out, n + 2);
    if (!nl) {
        free(out);
        return NULL;
    }
    nl[n] = '\n';
    nl[n + 1] = '\0';
    return nl;
}
