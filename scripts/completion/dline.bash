# bash completion for dline: the commands, the options of render and tiles
# and their values, and file names by extension (styles for render, tiles,
# validate and fonts; data files for info and index). Needs only bash, not bash-completion.
# Installed as share/bash-completion/completions/dline; to try it from the
# sources: . scripts/completion/dline.bash

# The word as the shell will read it: "my\ maps/" or "'my maps/" (an
# opening quote not yet closed) is the folder my maps/.
_dline_dequote()
{
    local s=$1 out= i
    case $s in
        \'*) s=${s#\'}; out=${s%\'} ;;
        \"*) s=${s#\"}; out=${s%\"} ;;
        *)
            for ((i = 0; i < ${#s}; i++)); do
                [[ ${s:i:1} == \\ ]] && ((i++))
                out+=${s:i:1}
            done ;;
    esac
    printf '%s' "$out"
}

# Completes file names ending in one of the extensions given (either case),
# and folders to go on into; names with spaces or quotes come back quoted
# (-o filenames).
_dline_files()
{
    local ext IFS=$'\n' word
    word=$(_dline_dequote "$cur")
    COMPREPLY=($(compgen -d -- "$word"))
    for ext in "$@"; do
        COMPREPLY+=($(compgen -f -X "!*.$ext" -- "$word"))
        COMPREPLY+=($(compgen -f -X "!*.${ext^^}" -- "$word"))
    done
    # Quoting and a / after folders; only possible inside a completion.
    compopt -o filenames 2>/dev/null
}

_dline()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local render_opts='-o --output --format --size --paper --dpi --extent --crs
        --debug-labels --set --png-compression --max-pixels --threads --svg-id-prefix --jobs
        --processes --shard --help'
    local tiles_opts='-o --output --zoom --extent --tile-size --scale --buffer --shard
        --processes --set --help'
    local papers='A3 A4 A5 letter legal A3:landscape A4:landscape A5:landscape
        letter:landscape legal:landscape'
    COMPREPLY=()

    # The command is the first word after dline; the words after it that are
    # not options or their values are its files.
    local cmd= nfiles=0 i w
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if [[ -z $cmd ]]; then
            [[ $w != -* ]] && cmd=$w
            continue
        fi
        case $w in
            -o | --output | --format | --size | --paper | --dpi | --extent | --crs | \
                --debug-labels | --set | --png-compression | --max-pixels | --threads | \
                --svg-id-prefix | --jobs | --processes | --shard | --zoom | --tile-size | --scale | --buffer)
                i=$((i + 1)) ;;
            = | :) i=$((i + 1)) ;; # the rest of PATH=VALUE or NAME:landscape
            -*) ;;
            *) nfiles=$((nfiles + 1)) ;;
        esac
    done

    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W 'render tiles validate info index fonts --help --version' \
            -- "$cur"))
        return
    fi

    # A paper name's ":landscape": with ':' in COMP_WORDBREAKS (bash's default)
    # "A4:land" reaches us as the words A4, :, land.
    if [[ $cur == : && ${COMP_WORDS[COMP_CWORD-2]} == --paper ]]; then
        COMPREPLY=(:landscape)
        return
    fi
    if [[ $prev == : && ${COMP_WORDS[COMP_CWORD-3]} == --paper ]]; then
        COMPREPLY=($(compgen -W landscape -- "$cur"))
        return
    fi

    case $prev in
        --format)
            COMPREPLY=($(compgen -W 'png svg pdf' -- "$cur"))
            return ;;
        --paper)
            COMPREPLY=($(compgen -W "$papers" -- "$cur"))
            return ;;
        --tile-size)
            COMPREPLY=($(compgen -W '256 512' -- "$cur"))
            return ;;
        --scale)
            COMPREPLY=($(compgen -W '1 2' -- "$cur"))
            return ;;
        -o | --output)
            if [[ $cmd == tiles ]]; then
                _dline_files mbtiles # or a folder of Z/X/Y.png
            else
                _dline_files png svg pdf
            fi
            return ;;
        --debug-labels)
            _dline_files json
            return ;;
        --jobs)
            _dline_files csv
            return ;;
        --size | --dpi | --extent | --crs | --set | --png-compression | --max-pixels | \
            --threads | --svg-id-prefix | --processes | --shard | --zoom | --buffer | =)
            return ;; # a value to type
    esac

    case $cmd in
        render)
            if [[ $cur == -* || $nfiles -ge 1 ]]; then
                COMPREPLY=($(compgen -W "$render_opts" -- "$cur"))
            else
                _dline_files yaml yml json
            fi ;;
        tiles)
            if [[ $cur == -* || $nfiles -ge 1 ]]; then
                COMPREPLY=($(compgen -W "$tiles_opts" -- "$cur"))
            else
                _dline_files yaml yml json
            fi ;;
        validate)
            if [[ $cur == -* || $nfiles -ge 1 ]]; then
                COMPREPLY=($(compgen -W '--set --help' -- "$cur"))
            else
                _dline_files yaml yml json
            fi ;;
        fonts)
            [[ $nfiles -eq 0 ]] && _dline_files yaml yml json ;;
        info)
            [[ $nfiles -eq 0 ]] && _dline_files shp geojson json csv ;;
        index)
            [[ $nfiles -eq 0 ]] && _dline_files shp ;;
    esac
    return 0
}

complete -F _dline dline
