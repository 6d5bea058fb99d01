# Prints each failed test of the given .trx files with its error message and the end of its output,
# so that the end of a CI log (often all that is kept) says why a test failed, not only which.
# usage: awk -f scripts/trx-failures.awk results/*.trx
function unescape(s) {
  gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s); gsub(/&quot;/, "\"", s); gsub(/&apos;/, "'", s); gsub(/&#xD;/, "", s); gsub(/&amp;/, "\\&", s)
  return s
}
function flush(   i, from) {
  if (name == "") return
  print "FAILED: " name
  for (i = 1; i <= nmsg && i <= 6; i++) print "  | " substr(msg[i], 1, 300)
  # The last lines the test wrote: its own account of what it saw.
  from = nout > 6 ? nout - 5 : 1
  for (i = from; i <= nout; i++) print "  > " substr(out[i], 1, 300)
  name = ""; nmsg = 0; nout = 0
}
/<UnitTestResult / {
  flush()
  failed = ($0 ~ /outcome="Failed"/)
  if (failed) { match($0, /testName="[^"]*"/); name = unescape(substr($0, RSTART + 10, RLENGTH - 11)) }
  inout = 0; inmsg = 0
}
failed && /<StdOut>/ { inout = 1; sub(/.*<StdOut>/, "") }
failed && /<Message>/ { inmsg = 1; sub(/.*<Message>/, "") }
failed && inout {
  line = $0; done = sub(/<\/StdOut>.*/, "", line)
  if (line != "") out[++nout] = unescape(line)
  if (done) inout = 0
  next
}
failed && inmsg {
  line = $0; done = sub(/<\/Message>.*/, "", line)
  if (line != "") msg[++nmsg] = unescape(line)
  if (done) inmsg = 0
  next
}
/<\/UnitTestResult>/ { flush(); failed = 0 }
END { flush() }
