# Copies an HTML page, putting the SVG file named by -v svg=FILE in place of
# each line that holds only <!-- dline-svg -->. The SVG's XML declaration is
# dropped: it may only open an XML document, and inside HTML it is a parse
# error. The rest of dline's SVG is markup HTML takes as it is.
#   awk -v svg=map.svg -f inline-svg.awk page.html.in > page.html
/^[ \t]*<!-- dline-svg -->[ \t]*$/ {
    n = 0
    while ((r = getline line < svg) > 0) {
        if (n++ == 0) {
            sub(/^<\?xml[^>]*\?>[ \t]*/, "", line)
            if (line == "")
                continue
        }
        print line
    }
    if (r < 0 || n == 0) {
        print "inline-svg.awk: cannot read the SVG '" svg "'" | "cat 1>&2"
        exit 1
    }
    close(svg)
    next
}
{ print }
