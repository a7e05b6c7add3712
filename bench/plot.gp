# Throughput and worker CPU per request of configurations A-D, medians
# with min-max bars.  gnuplot -e "datafile='...'" -e "outfile='...'" plot.gp

set terminal pngcairo size 1000,420 font "sans,10"
set output outfile
set datafile separator "\t"
set multiplot layout 1,2 title "ngx\\_http\\_oauth2\\_client\\_module: A static header, B oauth2\\_token (hit), C Lua, D oauth2\\_token (5 s tokens)"

set style fill solid 0.6 border -1
set boxwidth 0.6
set grid ytics
set xtics ("A" 0, "B" 1, "C" 2, "D" 3)
set xrange [-0.6:3.6]
set yrange [0:*]
unset key

set title "Throughput, requests/s (median, min-max)"
plot datafile every ::1 using 0:2 with boxes lc rgb "#4a7ab0", \
     "" every ::1 using 0:2:3:4 with yerrorbars lc rgb "black" pt 0

set title "Worker CPU per request, us (median, min-max)"
plot datafile every ::1 using 0:5 with boxes lc rgb "#b0704a", \
     "" every ::1 using 0:5:6:7 with yerrorbars lc rgb "black" pt 0

unset multiplot
