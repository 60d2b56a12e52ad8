#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# validate: schema and data-quality checks on any CSV stream.

load helpers/common

SCHEMA=$REPO/sql/contracts/sales.schema.json
TYPES=$DATA/validate/types.schema.yaml
REJECTS_HEADER=file,line,column,rule,constraint,message,raw

# one_value TYPE VALUE [RULES...]: validates a one-column CSV "x" holding
# VALUE and prints the reject record, if any, without the file column.
one_value() {
	local type=$1 value=$2
	shift 2
	printf 'x\n%s\n' "$value" >in.csv
	"$BIN/validate" -q --type "x=$type" "$@" --rejects rej.csv in.csv >out.csv
	tail -n +2 rej.csv | cut -d, -f2-
}

@test "validate passes valid sales through unchanged, header first, exit 0" {
	"$BIN/gen" --rows 5000 --seed 2 >s.csv
	run --separate-stderr "$BIN/validate" --schema "$SCHEMA" s.csv
	assert_success
	assert_equal "$output" "$(cat s.csv)"
	assert_equal "$stderr" "validate: 5000 rows read, 5000 valid, 0 rejected"
}

@test "validate rejects exactly the rows gen --dirty-log lists, each with the matching rule" {
	"$BIN/gen" --rows 10000 --seed 1 --dirty 0.1 --dirty-log log.csv >s.csv
	run --separate-stderr "$BIN/validate" --schema "$SCHEMA" --rejects rej.csv s.csv
	assert_failure 1
	# line, column and rule+constraint of every reject ...
	tail -n +2 rej.csv | cut -d, -f2-5 | sort >got
	# ... against what each dirty kind must produce
	tail -n +2 log.csv | awk -F, -v OFS=, '{
		rule["missing_value"] = "constraint-error,required"
		rule["nonpositive_amount"] = "constraint-error,exclusiveMinimum"
		rule["unknown_currency"] = "constraint-error,enum"
		rule["bad_timestamp"] = "type-error,"
		rule["impossible_date"] = "type-error,"
		rule["non_numeric_quantity"] = "type-error,"
		rule["too_many_decimals"] = "constraint-error,pattern"
		rule["duplicate_sale_id"] = "unique-error,unique"
		rule["unknown_store"] = "foreign-key,"
		rule["unknown_product"] = "foreign-key,"
		print $1, $3, rule[$2] }' | sort >want
	n=$(($(wc -l <log.csv) - 1))
	assert_equal "$(printf '%s\n' "$output" | wc -l)" "$((10000 - n + 1))"
	run diff want got
	assert_success
}

@test "validate keeps quotes, commas, embedded CR/LF and multi-byte UTF-8 field values identical" {
	printf 'a,b,c\r\n"say ""hi""","x,y","line1\nline2"\r\n"crlf\r\ninside",héllo wörld 😀,plain\r\n"",,"  spaced  "\r\n' >in.csv
	run --separate-stderr "$BIN/validate" in.csv
	assert_success
	expected=$(printf 'a,b,c\n"say ""hi""","x,y","line1\nline2"\n"crlf\r\ninside",héllo wörld 😀,plain\n"",,  spaced  ')
	assert_equal "$output" "$expected"
	assert_equal "$stderr" "validate: 3 rows read, 3 valid, 0 rejected"
}

@test "validate strips a UTF-8 byte order mark and accepts CRLF" {
	printf '\xef\xbb\xbfsale_id,n\r\nA,1\r\n' >in.csv
	run --separate-stderr "$BIN/validate" --require sale_id --type n=integer in.csv
	assert_success
	assert_equal "$output" "$(printf 'sale_id,n\nA,1')"
}

@test "validate rejects a short row as missing-cell and a long one as extra-cell, with their lines" {
	printf 'a,b,c\n1,2\n1,2,3\n1,2,3,4\n' >in.csv
	run --separate-stderr "$BIN/validate" --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$output" "$(printf 'a,b,c\n1,2,3')"
	run cat rej.csv
	assert_line --index 0 "$REJECTS_HEADER"
	assert_line --index 1 'in.csv,2,c,missing-cell,,"the row has 2 fields, the header 3","1,2"'
	assert_line --index 2 'in.csv,4,,extra-cell,,"the row has 4 fields, the header 3","1,2,3,4"'
}

@test "validate rejects a blank line as blank-row and goes on" {
	printf 'a\n1\n\n2\n' >in.csv
	run --separate-stderr "$BIN/validate" --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$output" "$(printf 'a\n1\n2')"
	assert_equal "$(sed -n 2p rej.csv)" 'in.csv,3,,blank-row,,the row is empty,'
}

@test "validate rejects a stray quote as source-error on its line and reads on" {
	printf 'a,b\n1,x"y\n2,"ok"z\n3,fine\n' >in.csv
	run --separate-stderr "$BIN/validate" --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$output" "$(printf 'a,b\n3,fine')"
	assert_equal "$(sed -n 2p rej.csv)" 'in.csv,2,,source-error,,quote character inside an unquoted field,"1,x""y"'
	assert_equal "$(sed -n 3p rej.csv)" 'in.csv,3,,source-error,,character after the closing quote of a field,"2,""ok""z"'
}

@test "validate rejects an unterminated quote on its line only and keeps the rows after it" {
	printf 'a,b\n1,"never closed\n2,two\n3,three\n' >in.csv
	run --separate-stderr "$BIN/validate" --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$output" "$(printf 'a,b\n2,two\n3,three')"
	assert_equal "$(sed -n 2p rej.csv)" 'in.csv,2,,source-error,,unterminated quoted field,"1,""never closed"'
}

@test "validate rejects rows ended by a lone CR each with its own raw row and line" {
	printf 'a,b\n1,2\r3,4,5\r6,7,8\n9,"x\r\n' >in.csv
	run --separate-stderr "$BIN/validate" --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$output" "$(printf 'a,b\n1,2')"
	assert_equal "$(tail -n +2 rej.csv)" "$(printf '%s\n' \
		'in.csv,3,,extra-cell,,"the row has 3 fields, the header 2","3,4,5"' \
		'in.csv,4,,extra-cell,,"the row has 3 fields, the header 2","6,7,8"' \
		'in.csv,5,,source-error,,unterminated quoted field,"9,""x"')"
}

@test "validate reads a file of CR line ends row by row, each reject carrying only its row" {
	awk 'BEGIN { ORS = "\r"; print "a,b"; for (i = 1; i <= 20000; i++) print (i % 100 ? i "," i : i) }' >cr.csv
	run --separate-stderr "$BIN/validate" -q --rejects rej.csv cr.csv
	assert_failure 1
	assert_equal "$(printf '%s\n' "$output" | tr '\r' '\n' | wc -l)" 19801
	assert_equal "$(wc -l <rej.csv)" 201
	assert_equal "$(sed -n 2p rej.csv)" 'cr.csv,101,b,missing-cell,,"the row has 1 fields, the header 2",100'
	assert_equal "$(tail -n 1 rej.csv)" 'cr.csv,20001,b,missing-cell,,"the row has 1 fields, the header 2",20000'
}

@test "validate rejects invalid UTF-8 as encoding-error and a NUL byte as source-error" {
	printf 'a,b\n1,caf\xe9\n2,x\0y\n3,ok\n' >in.csv
	run --separate-stderr "$BIN/validate" --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$output" "$(printf 'a,b\n3,ok')"
	assert_equal "$(sed -n 2p rej.csv | cut -d, -f2-6)" '2,b,encoding-error,,the value is not valid UTF-8 (the raw row is not UTF-8: shown read as latin1)'
	assert_equal "$(sed -n 2p rej.csv | cut -d, -f7-)" '"1,café"'
	assert_equal "$(sed -n 3p rej.csv | cut -d, -f2-6)" '3,b,source-error,,the value holds a NUL byte'
}

@test "validate names blank, duplicate and extra header labels once each and still checks the rows" {
	printf 'fields: [{name: sale_id, type: string, constraints: {required: true}}]\nfieldsMatch: equal\n' >s.yaml
	printf 'sale_id,,sale_id,extra\nA,1,B,x\n,1,B,x\n' >in.csv
	run --separate-stderr "$BIN/validate" --schema s.yaml --rejects rej.csv in.csv
	assert_failure 1
	assert_output "$(head -n 2 in.csv)"
	run cat rej.csv
	assert_line --index 1 'in.csv,1,,blank-label,,column 2 has no name,"sale_id,,sale_id,extra"'
	assert_line --index 2 'in.csv,1,sale_id,duplicate-label,,"""sale_id"" names columns 1 and 3","sale_id,,sale_id,extra"'
	assert_line --index 3 'in.csv,1,extra,extra-label,,"column ""extra"" is not in the schema","sale_id,,sale_id,extra"'
	assert_line --index 4 'in.csv,3,sale_id,constraint-error,required,a value is required,",1,B,x"'
	assert_equal "${#lines[@]}" 5
}

@test "validate rejects every row unchecked when the header cannot be read as names" {
	printf '\nA\n' >in.csv
	run --separate-stderr "$BIN/validate" --schema "$DATA/validate/sales-ok.yaml" --rejects rej.csv in.csv
	assert_failure 1
	assert_output ""
	run cut -d, -f2-6 rej.csv
	assert_line --index 1 '1,,blank-label,,the header is empty'
	assert_line --index 2 '2,,blank-label,,not checked: the header is invalid'
}

@test "validate reports a schema column missing from the header as missing-label" {
	printf 'other\nx\n' >in.csv
	printf 'fieldsMatch: equal\n' | cat "$DATA/validate/sales-ok.yaml" - >s.yaml
	run --separate-stderr "$BIN/validate" --schema s.yaml --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$(sed -n 2p rej.csv)" 'in.csv,1,other,extra-label,,"column ""other"" is not in the schema",other'
	assert_equal "$(sed -n 3p rej.csv)" 'in.csv,1,sale_id,missing-label,,"no column ""sale_id"" as the schema requires",other'
}

@test "validate matches columns by name in any order under fieldsMatch equal, by position under exact" {
	"$BIN/gen" --rows 50 >s.csv
	awk -F, -v OFS=, '{ print $8, $7, $6, $5, $4, $3, $2, $1 }' s.csv >rev.csv
	mkdir c && ln -s "$REPO/sql/seeds" seeds # the contract's foreign keys name ../seeds
	sed '0,/{/s//{"fieldsMatch": "equal",/' "$SCHEMA" >c/equal.json
	run --separate-stderr "$BIN/validate" --schema c/equal.json rev.csv
	assert_success
	assert_equal "$output" "$(cat rev.csv)"
	run --separate-stderr "$BIN/validate" --schema "$SCHEMA" --rejects rej.csv rev.csv
	assert_failure 1
	assert_equal "$(sed -n 2p rej.csv | cut -d, -f2-6)" '1,currency,incorrect-label,,"column 1 is ""currency"" but the schema'\''s field 1 is ""sale_id"""'
}

@test "validate checks every field type and accepts the good values" {
	run --separate-stderr "$BIN/validate" --schema "$TYPES" --rejects rej.csv "$DATA/validate/types.csv"
	assert_success
	assert_equal "$(wc -l <rej.csv)" 1
	assert_equal "$stderr" "validate: 3 rows read, 3 valid, 0 rejected"
}

@test "validate type-error: integers" {
	assert_equal "$(one_value integer 12x)" '2,x,type-error,,"""12x"" is not an integer",12x'
	assert_equal "$(one_value integer 0x10)" '2,x,type-error,,"""0x10"" is not an integer",0x10'
	assert_equal "$(one_value integer 1e400)" '2,x,type-error,,"""1e400"" is not an integer",1e400'
	assert_equal "$(one_value integer ١٢٣)" '2,x,type-error,,"""١٢٣"" is not an integer",١٢٣'
	assert_equal "$(one_value integer -0)" ''
	assert_equal "$(one_value integer 123456789012345678901234567890)" ''
}

@test "validate type-error: numbers are exact decimals" {
	assert_equal "$(one_value number 1e400)" ''
	assert_equal "$(one_value number abc)" '2,x,type-error,,"""abc"" is not a number",abc'
	assert_equal "$(one_value number 1.2.3)" '2,x,type-error,,"""1.2.3"" is not a number",1.2.3'
	# 0.3 is below 0.30000000000000001, which a double would round to 0.3
	assert_equal "$(one_value number 0.3 --min x=0.30000000000000001)" \
		'2,x,constraint-error,minimum,"""0.3"" is below the minimum 0.30000000000000001",0.3'
	assert_equal "$(one_value number 0.30000000000000001 --min x=0.30000000000000001)" ''
	assert_equal "$(one_value number -0.000 --min x=0)" ''
	assert_equal "$(one_value number 100e-2 --max x=1)" ''
	assert_equal "$(one_value number 1.0000000000000000001 --max x=1)" \
		'2,x,constraint-error,maximum,"""1.0000000000000000001"" is above the maximum 1",1.0000000000000000001'
}

@test "validate type-error: dates, timestamps and times" {
	assert_equal "$(one_value date 2026-02-29)" '2,x,type-error,,"""2026-02-29"" is not a calendar date",2026-02-29'
	assert_equal "$(one_value date 2024-02-29)" ''
	assert_equal "$(one_value date 0000-01-01)" '2,x,type-error,,"""0000-01-01"" is in year 0, which does not exist",0000-01-01'
	assert_equal "$(one_value datetime 9999-12-31T23:59:60Z)" ''
	assert_equal "$(one_value datetime 2026-11-26T12:59:60Z)" \
		'2,x,type-error,,"""2026-11-26T12:59:60Z"" has second 60 outside a leap second",2026-11-26T12:59:60Z'
	assert_equal "$(one_value datetime 2026-11-26T14:03:11+05:45)" ''
	assert_equal "$(one_value datetime 2026-11-26T14:03:11-00:00)" ''
	assert_equal "$(one_value datetime 2026-11-26T14:03:11+24:00)" \
		'2,x,type-error,,"""2026-11-26T14:03:11+24:00"" has a time zone offset out of range",2026-11-26T14:03:11+24:00'
	assert_equal "$(one_value datetime 2026-11-26T14:03)" \
		'2,x,type-error,,"""2026-11-26T14:03"" is not a datetime (YYYY-MM-DDThh:mm:ss, then optional .fraction and Z or +hh:mm)",2026-11-26T14:03'
	assert_equal "$(one_value time 24:00:00)" '2,x,type-error,,"""24:00:00"" is not a real time of day",24:00:00'
	assert_equal "$(one_value year 26)" '2,x,type-error,,"""26"" is not a year (YYYY)",26'
}

@test "validate type-error: booleans, with default true and false values" {
	assert_equal "$(one_value boolean TRUE)" ''
	assert_equal "$(one_value boolean 0)" ''
	assert_equal "$(one_value boolean yes)" '2,x,type-error,,"""yes"" is not a boolean",yes'
}

@test "validate constraint-error: each constraint, named" {
	run --separate-stderr "$BIN/validate" --schema "$TYPES" --rejects rej.csv - <<-'EOF'
		id,price,ok,day,at,clock,yr,code,size,score
		0,1,true,2024-01-01,2026-01-01T00:00:00Z,10:00:00,2026,AB,S,5
		2,1001,true,2024-01-01,2026-01-01T00:00:00Z,10:00:00,2026,AB,S,5
		3,1,true,1999-12-31,2026-01-01T00:00:00Z,10:00:00,2026,AB,S,5
		4,1,true,2024-01-01,2026-01-01T00:00:00Z,10:00:00,2026,A,S,5
		5,1,true,2024-01-01,2026-01-01T00:00:00Z,10:00:00,2026,ABCDE,S,5
		6,1,true,2024-01-01,2026-01-01T00:00:00Z,10:00:00,2026,ab,S,5
		7,1,true,2024-01-01,2026-01-01T00:00:00Z,10:00:00,2026,AB,XL,5
		8,1,true,2024-01-01,2026-01-01T00:00:00Z,10:00:00,2026,AB,S,0
		9,1,true,2024-01-01,2026-01-01T00:00:00Z,10:00:00,2026,AB,S,10
		NA,1,true,2024-01-01,2026-01-01T00:00:00Z,10:00:00,2026,AB,S,5
	EOF
	assert_failure 1
	run cut -d, -f2- rej.csv
	t=2024-01-01,2026-01-01T00:00:00Z,10:00:00,2026
	assert_line --index 1 "2,id,constraint-error,minimum,\"\"\"0\"\" is below the minimum 1\",\"0,1,true,$t,AB,S,5\""
	assert_line --index 2 "3,price,constraint-error,maximum,\"\"\"1001\"\" is above the maximum 1e3\",\"2,1001,true,$t,AB,S,5\""
	assert_line --index 3 '4,day,constraint-error,minimum,"""1999-12-31"" is below the minimum 2000-01-01","3,1,true,1999-12-31,2026-01-01T00:00:00Z,10:00:00,2026,AB,S,5"'
	assert_line --index 4 "5,code,constraint-error,minLength,\"\"\"A\"\" is shorter than 2 characters\",\"4,1,true,$t,A,S,5\""
	assert_line --index 5 "6,code,constraint-error,maxLength,\"\"\"ABCDE\"\" is longer than 4 characters\",\"5,1,true,$t,ABCDE,S,5\""
	assert_line --index 6 "7,code,constraint-error,pattern,\"\"\"ab\"\" does not match the pattern [A-Z]+\",\"6,1,true,$t,ab,S,5\""
	assert_line --index 7 "8,size,constraint-error,enum,\"\"\"XL\"\" is not one of S, M, L\",\"7,1,true,$t,AB,XL,5\""
	assert_line --index 8 "9,score,constraint-error,exclusiveMinimum,\"\"\"0\"\" is not greater than 0\",\"8,1,true,$t,AB,S,0\""
	assert_line --index 9 "10,score,constraint-error,exclusiveMaximum,\"\"\"10\"\" is not less than 10\",\"9,1,true,$t,AB,S,10\""
	assert_line --index 10 "11,id,constraint-error,required,a value is required,\"NA,1,true,$t,AB,S,5\""
}

@test "validate names every problem a row has" {
	printf 'a,b\nx,y\n' >in.csv
	run -1 "$BIN/validate" -q --type a=integer --type b=integer --rejects rej.csv in.csv
	assert_equal "$(sed -n 2p rej.csv | cut -d, -f2-6)" '2,a,type-error,,"""x"" is not an integer; column b: type-error: ""y"" is not an integer"'
}

@test "validate unique-error names the line of the first occurrence; missing values do not count" {
	printf 'k,v\nA,1\nB,2\n,3\nA,4\n,5\n' >in.csv
	run --separate-stderr "$BIN/validate" --unique k --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$(sed -n 2p rej.csv)" 'in.csv,5,k,unique-error,unique,"k ""A"" already appeared on line 2","A,4"'
	assert_equal "$(wc -l <rej.csv)" 2
}

@test "validate primary-key: a composite key must be unique and present" {
	cat >s.yaml <<-'EOF'
		fields: [{name: a}, {name: b}, {name: c}]
		primaryKey: [a, b]
		uniqueKeys: [[c]]
	EOF
	printf 'a,b,c\n1,1,x\n1,2,y\n1,1,z\n2,,w\n3,3,x\n' >in.csv
	run --separate-stderr "$BIN/validate" --schema s.yaml --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$output" "$(printf 'a,b,c\n1,1,x\n1,2,y')"
	run cut -d, -f2- rej.csv
	assert_line --index 1 '4,a,primary-key,,"(a, b) (""1"", ""1"") already appeared on line 2","1,1,z"'
	assert_line --index 2 '5,b,constraint-error,required,a value is required,"2,,w"'
	assert_line --index 3 '6,c,unique-error,unique,"c ""x"" already appeared on line 2","3,3,x"'
}

@test "validate foreign-key: values must exist in the referenced CSV" {
	printf 'store_id,n\nST001,1\nST999,2\n,3\n' >in.csv
	cat >s.json <<-EOF
		{"fields": [{"name": "store_id"}, {"name": "n", "type": "integer"}],
		 "foreignKeys": [{"fields": "store_id", "reference": {"resource": "$REPO/sql/seeds/stores.csv", "fields": "store_id"}}]}
	EOF
	run --separate-stderr "$BIN/validate" --schema s.json --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$output" "$(printf 'store_id,n\nST001,1\n,3')"
	assert_equal "$(sed -n 2p rej.csv | cut -d, -f2-5)" '3,store_id,foreign-key,'
	assert_equal "$(wc -l <rej.csv)" 2
	# blank lines in the referenced file hold no key; a ragged row is named
	printf 'store_id,name\nST999,x\n\n' >stores.csv
	sed -i "s|$REPO/sql/seeds/stores.csv|stores.csv|" s.json
	run --separate-stderr "$BIN/validate" --schema s.json in.csv
	assert_failure 1
	assert_equal "$output" "$(printf 'store_id,n\nST999,2\n,3')"
	printf 'store_id,name\nST999\n' >stores.csv
	run --separate-stderr "$BIN/validate" --schema s.json in.csv
	assert_failure 3
	assert_equal "$stderr" "validate: stores.csv:2: foreign key resource: 1 fields, the header has 2"
}

@test "validate reads JSON and YAML schemas alike and applies missingValues, trueValues, decimalChar and groupChar" {
	cat >s.yaml <<-'EOF'
		fields:
		  - {name: amount, type: number, decimalChar: ",", groupChar: ".", constraints: {minimum: 1000}}
		  - {name: flag, type: boolean, trueValues: [ja], falseValues: [nein], constraints: {required: true}}
		missingValues: ["-"]
	EOF
	printf 'amount,flag\n"1.234,5",ja\n999,nein\n-,ja\n1000,-\n' >in.csv
	run --separate-stderr "$BIN/validate" --schema s.yaml --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$output" "$(printf 'amount,flag\n"1.234,5",ja\n-,ja')"
	assert_equal "$(sed -n 2p rej.csv | cut -d, -f2-5)" '3,amount,constraint-error,minimum'
	assert_equal "$(sed -n 3p rej.csv | cut -d, -f2-5)" '5,flag,constraint-error,required'
}

@test "validate warns about an unknown schema key and goes on" {
	printf '{"fields": [{"name": "a", "colour": "red"}], "owner": "me"}' >s.json
	printf 'a\n1\n' >in.csv
	run --separate-stderr "$BIN/validate" --schema s.json in.csv
	assert_success
	assert_equal "${stderr_lines[0]}" 'validate: s.json:1: a: unknown key "colour" ignored'
	assert_equal "${stderr_lines[1]}" 'validate: s.json:1: schema: unknown key "owner" ignored'
}

@test "validate stops on a malformed schema, naming the file, line and key" {
	printf 'fields:\n  - name: a\n    type: integer\n    constraints:\n      minimum: ten\n' >s.yaml
	run --separate-stderr "$BIN/validate" --schema s.yaml </dev/null
	assert_failure 3
	assert_equal "$stderr" 'validate: s.yaml:5: field "a": constraint "minimum": "ten" is not an integer'
	printf 'fields:\n  - name: a\n    type: money\n' >t.yaml
	run --separate-stderr "$BIN/validate" --schema t.yaml </dev/null
	assert_failure 3
	assert_equal "$stderr" 'validate: t.yaml:3: field "a": type "money" is not supported (string, integer, number, boolean, date, datetime, time, year, yearmonth, duration, any, object, array, geopoint, geojson, list)'
	printf '{"fields": [' >u.json
	run --separate-stderr "$BIN/validate" --schema u.json </dev/null
	assert_failure 3
	assert_equal "$stderr" 'validate: u.json:2:1: did not find expected node content while parsing a flow node'
	printf 'fields: [{name: a}]\nprimaryKey: a\nprimaryKey: a\n' >v.yaml
	run --separate-stderr "$BIN/validate" --schema v.yaml </dev/null
	assert_failure 3
	assert_equal "$stderr" 'validate: v.yaml:3: key "primaryKey" appears twice'
	printf 'fields: [{name: a, type: date, format: "%%Y-%%"}]\n' >w.yaml
	run --separate-stderr "$BIN/validate" --schema w.yaml </dev/null
	assert_failure 3
	assert_equal "$stderr" 'validate: w.yaml:1: field "a": format "%Y-%" ends in a lone %'
	run --separate-stderr "$BIN/validate" --schema nonexistent.json </dev/null
	assert_failure 3
	assert_equal "$stderr" 'validate: nonexistent.json: No such file or directory'
	# a schema that cannot mean what it says
	local bad
	for bad in \
		'{"fields": [{"name": "a", "constraints": {"enum": []}}]}|field "a": constraint "enum" lists no value' \
		'{"fields": [{"name": "a", "type": "date", "format": 5}]}|field "a": "format" must be a string' \
		'{"fields": [{"name": "a"}, {"name": "b"}], "primaryKey": ["a", "a"]}|primaryKey: field "a" is listed twice' \
		'{"fields": [{"name": "a", "type": "number", "decimalChar": ",", "groupChar": ","}]}|field "a": decimalChar and groupChar are both '"','"'' \
		'{"fields": [{"name": "a"}], "missingValues": ["", null]}|missingValues: must be a list of strings'; do
		printf '%s\n' "${bad%%|*}" >x.json
		run --separate-stderr "$BIN/validate" --schema x.json </dev/null
		assert_failure 3
		assert_equal "$stderr" "validate: x.json:1: ${bad#*|}"
	done
}

@test "validate without --rejects shows rejects and a summary on stderr" {
	printf 'n\n1\nx\n3\n' >in.csv
	run --separate-stderr "$BIN/validate" --type n=integer in.csv
	assert_failure 1
	assert_equal "${stderr_lines[0]}" 'validate: in.csv:3: column n type-error: "x" is not an integer'
	assert_equal "${stderr_lines[1]}" 'validate: 3 rows read, 2 valid, 1 rejected (type-error 1): rows were rejected'
	# data cannot reach the terminal as control bytes, nor split the line
	printf 'n\n"\033[2Jx\ny"\n' >esc.csv
	run --separate-stderr "$BIN/validate" --type n=integer esc.csv
	assert_equal "${stderr_lines[0]}" 'validate: esc.csv:2: column n type-error: "?[2Jx y" is not an integer'
}

@test "validate --report json writes the summary as JSON" {
	printf 'n\n1\nx\n\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --report json --type n=integer --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$stderr" '{"rows": 3, "valid": 1, "rejected": 2, "rejects_by_rule": {"blank-row": 1, "type-error": 1}, "header_problems": {}, "problems_by_rule": {"blank-row": 1, "type-error": 1}, "result": "rows were rejected"}'
	echo "$stderr" | python3 -m json.tool >/dev/null
}

@test "validate quarantines rejects and exits 0 within a stated tolerance, 1 by default or over --max-rejects or --max-reject-rate" {
	"$BIN/gen" --rows 1000 --dirty 0.1 >s.csv
	run --separate-stderr "$BIN/validate" --schema "$SCHEMA" --rejects rej.csv s.csv
	assert_failure 1
	[[ "$stderr" == *": rows were rejected" ]]
	valid=$(($(printf '%s\n' "$output" | wc -l) - 1))
	rejected=$(($(wc -l <rej.csv) - 1))
	assert_equal $((valid + rejected)) 1000
	run --separate-stderr "$BIN/validate" --schema "$SCHEMA" --rejects rej2.csv --max-rejects 10 s.csv
	assert_failure 1
	# everything is still written
	assert_equal "$(($(printf '%s\n' "$output" | wc -l) - 1))" "$valid"
	cmp rej.csv rej2.csv
	[[ "$stderr" == *": more rejects than --max-rejects allows" ]]
	run --separate-stderr "$BIN/validate" --schema "$SCHEMA" --max-reject-rate 0.05 -q s.csv
	assert_failure 1
	run --separate-stderr "$BIN/validate" --schema "$SCHEMA" --max-reject-rate 0.5 -q s.csv
	assert_success
}

@test "validate rules from the command line: --require, --type, --min, --max, --enum, --pattern, --unique" {
	printf 'id,n,c,p\n1,5,A,x1\n1,5,A,x2\n2,,A,x3\n3,0,A,x4\n4,11,A,x5\n5,5,Z,x6\n6,5,B,y7\n' >in.csv
	run --separate-stderr "$BIN/validate" --require id,n --type n=integer --min n=1 --max n=10 \
		--enum c=A,B --pattern 'p=x[0-9]' --unique id --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$output" "$(printf 'id,n,c,p\n1,5,A,x1')"
	run cut -d, -f2-5 rej.csv
	assert_line --index 1 '3,id,unique-error,unique'
	assert_line --index 2 '4,n,constraint-error,required'
	assert_line --index 3 '5,n,constraint-error,minimum'
	assert_line --index 4 '6,n,constraint-error,maximum'
	assert_line --index 5 '7,c,constraint-error,enum'
	assert_line --index 6 '8,p,constraint-error,pattern'
}

@test "validate with a rule naming a column the CSV lacks reports missing-label" {
	printf 'a\n1\n' >in.csv
	run --separate-stderr "$BIN/validate" --require b --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$(sed -n 2p rej.csv)" 'in.csv,1,b,missing-label,,"no column ""b"" for the rules given",a'
}

@test "validate reads several files, writing one header and columns in the first file's order" {
	printf 'a,b\n1,2\n' >one.csv
	printf 'b,a\n4,3\n' >two.csv
	run --separate-stderr "$BIN/validate" one.csv two.csv
	assert_success
	assert_equal "$output" "$(printf 'a,b\n1,2\n3,4')"
}

@test "validate with --tsv reads and writes tab-separated values" {
	printf 'a\tb\n1\t2,3\n' >in.tsv
	run --separate-stderr "$BIN/validate" --tsv in.tsv
	assert_success
	assert_equal "$output" "$(printf 'a\tb\n1\t2,3')"
}

@test "validate on empty input writes nothing and warns" {
	run --separate-stderr "$BIN/validate" </dev/null
	assert_success
	assert_output ""
	assert_equal "${stderr_lines[0]}" "validate: <stdin>: empty input, no header"
}

@test "validate on a header-only input writes the header" {
	printf 'a,b\n' >in.csv
	run --separate-stderr "$BIN/validate" in.csv
	assert_success
	assert_output "a,b"
}

@test "validate reports an unreadable input file and exits 3" {
	run --separate-stderr "$BIN/validate" missing.csv
	assert_failure 3
	assert_equal "${stderr_lines[0]}" "validate: missing.csv: No such file or directory"
	mkdir dir.csv
	run --separate-stderr "$BIN/validate" dir.csv
	assert_failure 3
	assert_equal "${stderr_lines[0]}" "validate: dir.csv: read error: Is a directory"
}

@test "validate reports a write error on stdout and exits 3" {
	"$BIN/gen" --rows 100000 >s.csv
	run --separate-stderr bash -c "'$BIN/validate' s.csv >/dev/full"
	assert_failure 3
	assert_equal "$stderr" "validate: write error on standard output: No space left on device"
}

@test "validate --help, --version and an unknown option" {
	run --separate-stderr "$BIN/validate" --help
	assert_success
	assert_line --index 0 --partial "usage: validate [--schema FILE]"
	assert_output --partial "Exit status: 0 success"
	run "$BIN/validate" --version
	assert_output --regexp '^validate [0-9.]+$'
	run --separate-stderr "$BIN/validate" --colour
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "validate: unknown option '--colour'"
	run --separate-stderr "$BIN/validate" --type x=money
	assert_failure 2
	assert_equal "$stderr" 'validate: --type: unknown type "money" (string, integer, number, boolean, date, datetime, time, year, yearmonth, duration, object, array, geopoint, geojson, list, any)'
}

@test "validate man page renders" {
	run bash -c "MANWIDTH=80 man -l '$REPO/docs/man/validate.1' 2>&1 | col -b"
	assert_success
	assert_output --partial "EXIT STATUS"
	assert_output --partial "--max-reject-rate"
}

@test "validate gives the same rows, rejects, summary and status however the input is cut among threads" {
	# Small chunks make even these files span many of them, on several
	# threads; --threads 0 reads and checks in one thread.
	"$BIN/gen" --rows 3000 --seed 4 --dirty 0.2 >dirty.csv
	"$BIN/validate" -q --schema "$SCHEMA" --max-reject-rate 1 --rejects rej.csv dirty.csv >/dev/null
	run wc -l <rej.csv
	[ "$output" -gt 300 ] # the rows do go through the checks
	for f in dirty.csv "$REPO"/tests/data/hostile/*.csv; do
		want_status=0 got_status=0
		"$BIN/validate" --threads 0 --schema "$SCHEMA" --rejects want-rej.csv "$f" >want.csv 2>want.err ||
			want_status=$?
		for chunk in 1 7 64 4096; do
			ELT_CSV_CHUNK_BYTES=$chunk "$BIN/validate" --threads 2 --schema "$SCHEMA" --rejects got-rej.csv "$f" \
				>got.csv 2>got.err || got_status=$?
			cmp want.csv got.csv
			cmp want-rej.csv got-rej.csv
			cmp want.err got.err
			assert_equal "$got_status" "$want_status"
		done
	done
}

@test "validate's per-column memory stays bounded on tables of 500 and 5,000 typed columns" {
	# Each checking thread remembers values per typed column; a wide table
	# gets fewer slots a column, so typing every column costs a few MB.
	# Under ASan, freed memory waits in a quarantine and counts as resident.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
	for cols in 500 5000; do
		awk -v cols="$cols" -v rows=$((2000000 / cols)) 'BEGIN {
			srand(1)
			for (c = 1; c <= cols; c++) printf "%sc%d", (c > 1 ? "," : ""), c
			print ""
			for (r = 0; r < rows; r++) {
				for (c = 1; c <= cols; c++) printf "%s%d", (c > 1 ? "," : ""), int(rand() * 100000)
				print ""
			}
		}' >wide.csv
		typed=()
		for c in $(seq "$cols"); do typed+=(--type "c$c=integer"); done
		plain=$( { /usr/bin/time -f %M "$BIN/validate" -q --threads 2 wide.csv >/dev/null; } 2>&1)
		checked=$( { /usr/bin/time -f %M "$BIN/validate" -q --threads 2 "${typed[@]}" wide.csv >/dev/null; } 2>&1)
		echo "peak RSS: $plain KiB unchecked, $checked KiB with $cols typed columns"
		[ "$checked" -lt $((plain + 20 * 1024)) ]
	done
}

@test "validate's memory stays bounded on a large input with one stray quote, and its rows stay the same" {
	# After the quote no line end has balanced quotes; the input is still
	# cut into chunks of about 1 MiB, not held whole until a cut turns up.
	"$BIN/gen" --rows 300000 --seed 1 >clean.csv
	awk 'NR == 11 { sub(/,ST/, ",S\"T") } { print }' clean.csv >stray.csv
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
	clean=$( { /usr/bin/time -f %M "$BIN/validate" -q --threads 2 clean.csv >/dev/null; } 2>&1)
	stray=$( { /usr/bin/time -f %M "$BIN/validate" -q --threads 2 --max-rejects 1 --rejects rej.csv stray.csv >got.csv; } 2>&1)
	echo "peak RSS: $clean KiB clean, $stray KiB with a stray quote"
	[ "$stray" -lt $((clean + 16 * 1024)) ]
	"$BIN/validate" -q --threads 0 --max-rejects 1 --rejects want-rej.csv stray.csv >want.csv
	cmp want.csv got.csv
	cmp want-rej.csv rej.csv
	assert_equal "$(wc -l <rej.csv)" 2
}

@test "validate rejects a quote left open for over 64 MiB on its line and reads on with the next" {
	# The rows after the quote are kept to be read again, up to 64 MiB.
	{ printf 'a,b\n1,2\n3,"x\n'; yes xxxxxxxxxxxxxxx,y | head -n 4000000; printf '5,6\n'; } >open.csv
	run --separate-stderr "$BIN/validate" --rejects rej.csv open.csv
	assert_failure 1
	assert_equal "$(printf '%s\n' "$output" | wc -l)" 4000003
	assert_equal "$(printf '%s\n' "$output" | sed -n '2p;3p;$p')" "$(printf '1,2\nxxxxxxxxxxxxxxx,y\n5,6')"
	assert_equal "$(tail -n +2 rej.csv)" 'open.csv,3,,source-error,,unterminated quoted field (still open after 64 MiB),"3,""x"'
}

@test "validate rejects a row over 64 MiB with the start of its raw row and says it was cut" {
	{ printf 'a,b\n1,'; head -c 70000000 /dev/zero | tr '\0' x; printf ',3\n2,ok\n'; } >long.csv
	run --separate-stderr "$BIN/validate" --rejects rej.csv long.csv
	assert_failure 1
	assert_output "$(printf 'a,b\n2,ok')"
	assert_equal "$(sed -n 2p rej.csv | cut -c 1-107)" \
		"long.csv,2,,extra-cell,,\"the row has 3 fields, the header 2 (raw holds only the row's first 64 MiB)\",\"1,xxx"
	# the raw field: the row's first 64 MiB, quoted, and the newline
	assert_equal "$(sed -n 2p rej.csv | cut -d, -f8- | wc -c)" $((64 * 1024 * 1024 + 3))
}

@test "validate rejects a record over the row limit, naming its line and the limit, and reads on" {
	{ printf 'a,b\n1,2\n3,'; head -c 5000 /dev/zero | tr '\0' x; printf '\n5,6\n'; } >in.csv
	want_rej="in.csv,3,,source-error,,\"the record is over 1000 bytes, the most one row may hold (raw holds only the row's first 1000 bytes)\",\"3,$(head -c 998 /dev/zero | tr '\0' x)"
	local threads
	for threads in 0 2; do
		# small chunks: the long line is cut into several of them
		ELT_CSV_MAX_RECORD=1000 ELT_CSV_CHUNK_BYTES=256 run --separate-stderr "$BIN/validate" --threads "$threads" \
			--rejects rej.csv in.csv
		assert_failure 1
		assert_output "$(printf 'a,b\n1,2\n5,6')"
		assert_equal "$stderr" "validate: 3 rows read, 2 valid, 1 rejected (source-error 1): rows were rejected"
		assert_equal "$(tail -n +2 rej.csv)" "$want_rej\""
	done
	ELT_CSV_MAX_RECORD=lots run --separate-stderr "$BIN/validate" in.csv
	assert_failure 2
	assert_equal "$stderr" 'validate: ELT_CSV_MAX_RECORD: "lots" is not a number of bytes'
}

@test "validate rejects a line of 101 MiB in bounded memory and passes the rows around it" {
	{ printf 'a,b\n1,2\n3,"'; head -c $((101 * 1024 * 1024)) /dev/zero | tr '\0' x; printf '"\n5,6\n'; } >huge.csv
	run --separate-stderr /usr/bin/time -f 'peak %M KiB' "$BIN/validate" --rejects rej.csv huge.csv
	assert_failure 1
	assert_output "$(printf 'a,b\n1,2\n5,6')"
	assert_equal "${stderr_lines[0]}" "validate: 3 rows read, 2 valid, 1 rejected (source-error 1): rows were rejected"
	kib=$(sed -n 's/^peak \([0-9]*\) KiB$/\1/p' <<<"$stderr")
	echo "peak RSS: $kib KiB"
	[ "${ELT_SAN:-}" = 1 ] || [ "$kib" -lt $((200 * 1024)) ]
	want="huge.csv,3,,source-error,,\"the record is over 100 MiB, the most one row may hold (raw holds only the row's first 64 MiB)\",\"3,\"\"xxx"
	assert_equal "$(sed -n 2p rej.csv | cut -c 1-${#want})" "$want"
	# the raw field: the row's first 64 MiB (its quote doubled), quoted, and the newline
	assert_equal "$(sed -n 2p rej.csv | cut -d, -f8- | wc -c)" $((64 * 1024 * 1024 + 4))
}

@test "validate refuses a schema nested 100,000 deep before it is parsed, naming file:line" {
	python3 -c "print('[' * 100000)" >deep.json
	run --separate-stderr "$BIN/validate" --schema deep.json </dev/null
	assert_failure 3
	assert_equal "$stderr" "validate: deep.json:1:201: nested more than 200 levels deep"
	python3 -c "print('fields:\n  - name: a\n    constraints:\n      enum:\n        - ' + '- ' * 100000 + 'x')" >deep.yaml
	run --separate-stderr "$BIN/validate" --schema deep.yaml </dev/null
	assert_failure 3
	assert_equal "$stderr" "validate: deep.yaml:5:401: nested more than 200 levels deep"
	python3 -c "print('fields:\n' + '\n'.join(' ' * i + '- k%d:' % i for i in range(1, 300)))" >deep.yaml
	run --separate-stderr "$BIN/validate" --schema deep.yaml </dev/null
	assert_failure 3
	assert_regex "$stderr" '^validate: deep\.yaml:[0-9]+:[0-9]+: nested more than 200 levels deep$'
	# brackets and quotes inside quoted scalars, comments and block
	# scalars open nothing
	python3 -c "
q = '[' * 300
print('fields:  # ' + q)
print('  - name: \"' + q + '\"')
print('    description: \'don\'\'t ' + q + '\'')
print('    title: |')
print('      ' + q)
print('  - name: b   # ' + q)" >quoted.yaml
	python3 -c "print('[' * 300 + ',b\n1,2')" >in.csv
	run --separate-stderr "$BIN/validate" --schema quoted.yaml in.csv
	assert_success
	assert_equal "$stderr" "validate: 1 rows read, 1 valid, 0 rejected"
}

@test "validate accepts a long value its pattern matches, past the JIT's default stack" {
	python3 -c "print('n'); print('ab' * 1500); print('ab' * 100000)" >in.csv
	run --separate-stderr "$BIN/validate" --pattern 'n=(a|b)*' in.csv
	assert_success
	assert_equal "$stderr" "validate: 2 rows read, 2 valid, 0 rejected"
}

@test "validate reports a pattern that cannot be matched as such and exits 3" {
	printf 'n\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\nb\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --pattern 'n=((a|a)*)*\d' --rejects rej.csv in.csv
	assert_failure 3
	assert_equal "$stderr" "validate: 1 rows rejected unchecked: a pattern could not be matched against them"
	assert_equal "$(sed -n 2p rej.csv | cut -d, -f2-6)" '2,n,constraint-error,pattern,the pattern ((a|a)*)*\d could not be matched: match limit exceeded'
	assert_equal "$(sed -n 3p rej.csv | cut -d, -f2-6)" '3,n,constraint-error,pattern,"""b"" does not match the pattern ((a|a)*)*\d"'
}

@test "validate type-error: year 0 does not exist" {
	assert_equal "$(one_value year 0000)" '2,x,type-error,,"""0000"" is in year 0, which does not exist",0000'
	assert_equal "$(one_value year 0001)" ''
}

@test "validate patterns read \\d and \\w as Unicode classes, as XML Schema does" {
	printf 's\néé\n٣٤\n' >in.csv
	run --separate-stderr "$BIN/validate" --pattern 's=\w+' in.csv
	assert_success
	run --separate-stderr "$BIN/validate" --pattern 's=\d+' in.csv
	assert_equal "$stderr" "$(printf 'validate: in.csv:2: column s constraint-error: "éé" does not match the pattern \\d+\nvalidate: 2 rows read, 1 valid, 1 rejected (constraint-error 1): rows were rejected')"
}

@test "validate tells composite keys apart whatever bytes their parts hold" {
	cat >s.json <<-'EOF'
		{"fields": [{"name": "a"}, {"name": "b"}, {"name": "c"}], "primaryKey": ["a", "b"],
		 "foreignKeys": [{"fields": ["a", "b"], "reference": {"resource": "ref.csv", "fields": ["x", "y"]}}]}
	EOF
	printf 'x,y\n"p\037q",r\np,"q\037r"\n' >ref.csv
	printf 'a,b,c\n"p\037q",r,1\np,"q\037r",2\np,"q\037r",3\n"p\037q\037r",,4\n' >in.csv
	run --separate-stderr "$BIN/validate" --schema s.json --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$output" "$(printf 'a,b,c\np\037q,r,1\np,q\037r,2')"
	run cut -d, -f2- rej.csv
	assert_line --index 1 "$(printf '4,a,primary-key,,"(a, b) (""p"", ""q\037r"") already appeared on line 3","p,""q\037r"",3"')"
	assert_line --index 2 "$(printf '5,b,constraint-error,required,a value is required,"""p\037q\037r"",,4"')"
	printf 'a,b,c\n"p\037q",r,1\np,q,2\n' >in.csv
	run --separate-stderr "$BIN/validate" --schema s.json --rejects rej.csv in.csv
	assert_equal "$(sed -n 2p rej.csv | cut -d, -f2-)" '3,a,foreign-key,,"(a, b) (""p"", ""q"") is not in ref.csv","p,q,2"'
}

@test "validate cuts a long value in a message before a character, never inside one" {
	value="$(printf 'a%.0s' $(seq 199))é"
	assert_equal "$(one_value integer "$value")" "2,x,type-error,,\"\"\"$(printf 'a%.0s' $(seq 199))...\"\" is not an integer\",$value"
	iconv -f UTF-8 -t UTF-8 rej.csv >/dev/null
	# A label that fills the message buffer
	python3 -c "print('é' * 300 + ',' + 'é' * 300); print('1,2')" >in.csv
	"$BIN/validate" -q --rejects rej.csv in.csv >/dev/null || true
	iconv -f UTF-8 -t UTF-8 rej.csv >/dev/null
}

@test "validate rejects a header label holding a NUL byte or invalid UTF-8 as a header problem" {
	printf 'a,b\0c\n1,2\n' >in.csv
	run --separate-stderr "$BIN/validate" --require b --rejects rej.csv in.csv
	assert_failure 1
	assert_output ""
	assert_equal "$(sed -n 2p rej.csv | cut -d, -f2-6)" '1,,source-error,,the name of column 2 holds a NUL byte'
	printf 'a,\xff\n1,2\n' >in.csv
	run --separate-stderr "$BIN/validate" --rejects rej.csv in.csv
	assert_failure 1
	assert_output ""
	assert_equal "$(sed -n 2p rej.csv | cut -d, -f2-6)" '1,,encoding-error,,the name of column 2 is not valid UTF-8 (the raw row is not UTF-8: shown read as latin1)'
	assert_equal "$(sed -n 3p rej.csv | cut -d, -f2-6)" '2,,encoding-error,,not checked: the header is invalid'
}

@test "validate maps a header of 100,000 columns in time linear in their number" {
	# Looked up by hash; searched pairwise, this took 46 s.
	python3 -c "n = 100000; print(','.join('c%d' % i for i in range(n))); print(','.join(str(i) for i in range(n)))" >a.csv
	python3 -c "n = 100000; print(','.join('c%d' % i for i in reversed(range(n)))); print(','.join(str(i) for i in reversed(range(n))))" >b.csv
	run --separate-stderr timeout 20 "$BIN/validate" --require c5 a.csv b.csv
	assert_success
	assert_equal "$stderr" "validate: 2 rows read, 2 valid, 0 rejected"
	assert_equal "${lines[1]}" "${lines[2]}"
}

@test "validate counts header problems apart from rejected rows, whose counts by rule add up" {
	printf 'a,a,\n1,2,3\n4,5\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --report json --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$stderr" '{"rows": 2, "valid": 1, "rejected": 1, "rejects_by_rule": {"missing-cell": 1}, "header_problems": {"blank-label": 1, "duplicate-label": 1}, "problems_by_rule": {"missing-cell": 1}, "result": "the header does not match"}'
	run --separate-stderr "$BIN/validate" --rejects rej.csv in.csv
	assert_equal "$stderr" 'validate: 2 rows read, 1 valid, 1 rejected (missing-cell 1); header problems (blank-label 1, duplicate-label 1): the header does not match'
}

@test "validate refuses a rejects file that is also its input or its output, before emptying it" {
	printf 'a\n1\n' >in.csv
	run --separate-stderr "$BIN/validate" -r in.csv in.csv
	assert_failure 2
	assert_equal "$stderr" "validate: --rejects in.csv is also the input: it would be emptied before it is read"
	run --separate-stderr "$BIN/validate" -r in.csv - <in.csv
	assert_failure 2
	assert_equal "$(cat in.csv)" "$(printf 'a\n1')"
	run --separate-stderr bash -c "'$BIN/validate' -r out.csv in.csv >out.csv"
	assert_failure 2
	assert_equal "$stderr" "validate: --rejects out.csv is also the standard output"
}

@test "validate --sealed passes a sealed stream on, and --seal seals its own output with the valid rows' count" {
	"$BIN/gen" --rows 300 --seed 2 --dirty 0.1 --seal >in.csv
	run --separate-stderr "$BIN/validate" --schema "$REPO/sql/contracts/sales.schema.json" --max-reject-rate 1 \
		--sealed --seal <in.csv
	assert_success
	valid=$(printf '%s\n' "$output" | sed 1d | grep -vc '^#elt-seal')
	[ "$valid" -lt 300 ]
	assert_equal "$(printf '%s\n' "$output" | tail -n 1)" "$(printf '#elt-seal v1 rows=%020d' "$valid")"
	# Without --sealed the seal line would be a row: it is not asked for here.
	run --separate-stderr "$BIN/validate" --seal <"$DATA/validate/types.csv"
	assert_success
	assert_equal "${lines[-1]}" "#elt-seal v1 rows=00000000000000000003"
}

@test "validate --sealed exits 3 without a seal of its own when its producer died or the count differs" {
	"$BIN/gen" --rows 300 --seed 2 >unsealed.csv
	"$BIN/gen" --rows 300 --seed 2 --seal >sealed.csv
	run --separate-stderr "$BIN/validate" --sealed --seal <unsealed.csv
	assert_failure 3
	[[ "$stderr" == *"<stdin>: the input ends without a seal: the program writing it stopped before it finished"* ]]
	[[ "$stderr" == *"300 rows read, 300 valid, 0 rejected: the input is not sealed"* ]]
	[[ "$output" != *"#elt-seal"* ]]
	# A producer cut off between two rows: its last rows and its seal never came.
	run --separate-stderr bash -c "head -n 200 sealed.csv | '$BIN/validate' --sealed --seal"
	assert_failure 3
	[[ "$output" != *"#elt-seal"* ]]
	# A row lost on the way.
	run --separate-stderr bash -c "sed 5d sealed.csv | '$BIN/validate' --sealed --seal"
	assert_failure 3
	[[ "$stderr" == *"the seal counts 300 rows, 299 arrived"* ]]
	[[ "$output" != *"#elt-seal"* ]]
}

@test "validate --seal writes no seal when it exits 1 over --max-rejects, after writing every valid row" {
	"$BIN/gen" --rows 300 --seed 2 --dirty 0.1 --seal >in.csv
	run --separate-stderr "$BIN/validate" --schema "$REPO/sql/contracts/sales.schema.json" --sealed --seal \
		--max-rejects 0 <in.csv
	assert_failure 1
	[ "${#lines[@]}" -gt 200 ]
	[[ "$output" != *"#elt-seal"* ]]
}

@test "validate exits 3 when its summary cannot be written to stderr" {
	run bash -c "'$BIN/validate' <'$DATA/validate/types.csv' >/dev/null 2>/dev/full"
	assert_failure 3
	run bash -c "'$BIN/validate' --report json <'$DATA/validate/types.csv' >/dev/null 2>/dev/full"
	assert_failure 3
}

# ---- Table Schema v2 field types and values (issue 16), from the spec's text ----

@test "validate takes NaN, INF and -INF as numbers in any case, and no other spelling" {
	assert_equal "$(one_value number NaN)" ''
	assert_equal "$(one_value number inf)" ''
	assert_equal "$(one_value number -Inf)" ''
	assert_equal "$(one_value number Infinity)" '2,x,type-error,,"""Infinity"" is not a number",Infinity'
	assert_equal "$(one_value integer INF)" '2,x,type-error,,"""INF"" is not an integer",INF'
	assert_equal "$(one_value number -INF --min x=0)" \
		'2,x,constraint-error,minimum,"""-INF"" is below the minimum 0",-INF'
}

@test "validate takes a datetime without an offset, and a time with or without one, as the spec's examples" {
	assert_equal "$(one_value datetime 2024-01-26T15:00:00)" ''
	assert_equal "$(one_value datetime 2024-01-26T15:00:00.300-05:00)" ''
	assert_equal "$(one_value time 15:00:00)" ''
	assert_equal "$(one_value time 15:00:00Z)" ''
	assert_equal "$(one_value time 15:00)" '2,x,type-error,,"""15:00"" is not a time of day (HH:MM:SS)",15:00'
}

@test "validate checks yearmonth, duration, object, array, geopoint and geojson values, and takes any value as any" {
	cat >s.json <<'JSON'
{"fields": [
  {"name": "ym", "type": "yearmonth", "constraints": {"minimum": "2024-01"}},
  {"name": "d", "type": "duration", "constraints": {"maximum": "P1D"}},
  {"name": "o", "type": "object", "constraints": {"maxLength": 1}},
  {"name": "a", "type": "array"},
  {"name": "g", "type": "geopoint"},
  {"name": "j", "type": "geojson"},
  {"name": "x", "type": "any", "constraints": {"required": true}}
]}
JSON
	cat >in.csv <<'CSV'
ym,d,o,a,g,j,x
2024-01,PT23H59M59.5S,"{""a"": [1]}",[],"90.50, 45.50","{""type"": ""Point"", ""coordinates"": [1, 2]}",1
2023-12,P1DT1S,"{""a"": 1, ""b"": 2}",[1 2],"90.5 45.5","{""type"": ""Point""}",
2024-13,P1W,{a: 1},"[1,]","181, 0",[],
CSV
	run --separate-stderr "$BIN/validate" --schema s.json --rejects rej.csv <in.csv
	[ "$status" -le 1 ]
	assert_equal "$output" "$(head -n 2 in.csv)"
	# every cell of the two bad rows fails: its first problem and the six others, each named
	run cut -d, -f2-6 rej.csv
	assert_line --index 1 '3,ym,constraint-error,minimum,"""2023-12"" is below the minimum 2024-01; column d: constraint-error maximum: ""P1DT1S"" is above the maximum P1D; column o: constraint-error maxLength: ""{""a"": 1'
	assert_line --index 2 '4,ym,type-error,,"""2024-13"" is not a year and month (YYYY-MM); column d: type-error: ""P1W"" is not a duration (ISO 8601: PnYnMnDTnHnMnS); column o: type-error: ""{a: 1}"" is not a JSON object; column a: type-error: ""[1'
	assert_equal "$(sed -n 2p rej.csv | grep -o '; column [a-z]*' | paste -sd' ')" '; column d ; column o ; column a ; column g ; column j ; column x'
	assert_equal "$(sed -n 3p rej.csv | grep -o '; column [a-z]*' | paste -sd' ')" '; column d ; column o ; column a ; column g ; column j ; column x'
}

@test "validate names what is wrong with each new type's value" {
	assert_equal "$(one_value yearmonth 2024-1)" '2,x,type-error,,"""2024-1"" is not a year and month (YYYY-MM)",2024-1'
	assert_equal "$(one_value duration P2W)" '2,x,type-error,,"""P2W"" is not a duration (ISO 8601: PnYnMnDTnHnMnS)",P2W'
	assert_equal "$(one_value object '{a: 1}')" '2,x,type-error,,"""{a: 1}"" is not a JSON object",{a: 1}'
	assert_equal "$(one_value array '"[1,]"')" '2,x,type-error,,"""[1,]"" is not a JSON array","""[1,]"""'
	assert_equal "$(one_value geopoint '"181, 0"')" \
		'2,x,type-error,,"""181, 0"" is not a geographic point: longitude -180 to 180, latitude -90 to 90","""181, 0"""'
	assert_equal "$(one_value geojson '"{""type"": ""Point""}"')" \
		'2,x,type-error,,"""{""type"": ""Point""}"" is not a GeoJSON object","""{""""type"""": """"Point""""}"""'
	assert_equal "$(one_value any '"whatever, really"')" ''
}

@test "validate counts an object's or array's items for minLength and maxLength, and says items" {
	printf 'fields: [{name: a, type: array, constraints: {minLength: 2}}]\n' >s.yaml
	printf 'a\n"[1, 2]"\n[1]\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --schema s.yaml --rejects rej.csv <in.csv
	[ "$status" -le 1 ]
	assert_equal "$output" $'a\n"[1, 2]"'
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-)" '3,a,constraint-error,minLength,"""[1]"" is shorter than 2 items",[1]'
}

@test "validate compares a duration with its bounds as XML Schema orders durations" {
	# P1M is 28 to 31 days: P30D is not provably at least a month, P32D is
	assert_equal "$(one_value duration P32D --min x=P1M)" ''
	printf 'fields: [{name: x, type: duration, constraints: {minimum: P1M}}]\n' >s.yaml
	printf 'x\nP30D\n' >in.csv
	"$BIN/validate" -q --schema s.yaml --rejects rej.csv in.csv >/dev/null || true
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-)" '2,x,constraint-error,minimum,"""P30D"" is below the minimum P1M",P30D'
}

@test "validate reads date and time formats with %y %b %B %j %I %p %f, and refuses directives it cannot read" {
	printf '%s\n' 'fields:' \
		'  - {name: d, type: date, format: "%d %b %y"}' \
		'  - {name: j, type: date, format: "%Y-%j"}' \
		'  - {name: t, type: time, format: "%I:%M %p"}' \
		'  - {name: s, type: datetime, format: "%d %B %Y %H:%M:%S.%f"}' >s.yaml
	printf 'd,j,t,s\n30 Nov 14,2024-060,03:15 PM,5 September 2024 10:00:00.25\n31 Nov 14,2023-366,13:15 PM,5 Sep 2024 10:00:00\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --schema s.yaml --rejects rej.csv <in.csv
	[ "$status" -le 1 ]
	assert_equal "${lines[1]}" '30 Nov 14,2024-060,03:15 PM,5 September 2024 10:00:00.25'
	assert_equal "$(cut -d, -f2-6 rej.csv | tail -n +2)" '3,d,type-error,,"""31 Nov 14"" is not a calendar date; column j: type-error: ""2023-366"" has a day of the year past the year'\''s end; column t: type-error: ""13:15 PM"" does not match the format; column s: type-error: ""5 Sep 2024 10:00:00"" does not match the format"'
	printf 'fields: [{name: a, type: date, format: "%%d %%U %%Y"}]\n' >w.yaml
	run --separate-stderr "$BIN/validate" --schema w.yaml </dev/null
	assert_failure 3
	assert_equal "$stderr" 'validate: w.yaml:1: field "a": format "%d %U %Y" uses %U, which is not supported (%Y %y %m %d %e %j %b %B %h %a %A %H %I %M %S %f %p %z %Z %T %F %%)'
}

@test "validate lets a field's own missingValues replace the schema's for that field" {
	# the spec's example: "" and NA are missing for column1, only - for column2
	printf '%s\n' '{"fields": [{"name": "column1", "type": "integer"},' \
		'  {"name": "column2", "type": "integer", "missingValues": ["-"]}],' \
		' "missingValues": ["", "NA"]}' >s.json
	printf 'column1,column2\nNA,3\n1,-\n,1\n-,2\n1,NA\n1,\nNA,-\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --schema s.json --rejects rej.csv <in.csv
	[ "$status" -le 1 ]
	assert_equal "$output" $'column1,column2\nNA,3\n1,-\n,1'
	run cut -d, -f2-4 rej.csv
	assert_line --index 1 '5,column1,type-error'
	assert_line --index 2 '6,column2,type-error'
	assert_line --index 3 '7,column2,type-error'
	# every cell a missing value: a blank row, as frictionless has it
	assert_line --index 4 '8,,blank-row'
	[[ "$(cat rej.csv)" != *unknown* ]]
}

@test "validate checks string format binary as base64 and warns once about a format it does not know" {
	printf 'fields:\n  - {name: b, format: binary}\n  - {name: p, type: string, format: phone}\n' >s.yaml
	printf 'b,p\naGVsbG8=,1\naGVsbG8,2\n' >in.csv
	run --separate-stderr "$BIN/validate" --schema s.yaml --rejects rej.csv <in.csv
	[ "$status" -le 1 ]
	assert_equal "$output" $'b,p\naGVsbG8=,1'
	assert_equal "$(grep -c 'has no format' <<<"$stderr")" 1
	[[ "$stderr" == *'s.yaml:3: field "p": a string field has no format "phone"; it is ignored'* ]]
	assert_equal "$(cut -d, -f2-6 rej.csv | tail -n +2)" '3,b,type-error,,"""aGVsbG8"" is not base64"'
}

# ---- issue 16: exit status, fieldsMatch, reporting ----

# The spec's fieldsMatch text, rule by rule (Table Schema v2, "fieldsMatch").
# fm_schema MODE writes s.yaml: fields a (integer) and b (string).
fm_schema() {
	printf 'fields:\n  - {name: a, type: integer}\n  - {name: b, type: string}\n' >s.yaml
	[ -z "${1:-}" ] || printf 'fieldsMatch: %s\n' "$1" >>s.yaml
}

@test "validate exits 1 when any row is rejected and no tolerance is stated" {
	printf 'n\n1\nx\n' >in.csv
	run --separate-stderr "$BIN/validate" --type n=integer --rejects rej.csv in.csv
	assert_failure 1
	assert_output "$(printf 'n\n1')"
	assert_equal "$stderr" 'validate: 2 rows read, 1 valid, 1 rejected (type-error 1): rows were rejected'
}

@test "validate exits 1 when every row is rejected" {
	printf 'n\nx\ny\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --type n=integer --rejects rej.csv in.csv
	assert_failure 1
	assert_output n
}

@test "validate exits 0 with rejects within a stated --max-rejects or --max-reject-rate" {
	printf 'n\n1\nx\n3\n4\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --type n=integer --max-rejects 1 --rejects rej.csv in.csv
	assert_success
	run --separate-stderr "$BIN/validate" -q --type n=integer --max-rejects 0 --rejects rej.csv in.csv
	assert_failure 1
	run --separate-stderr "$BIN/validate" -q --type n=integer --max-reject-rate 0.25 --rejects rej.csv in.csv
	assert_success
	run --separate-stderr "$BIN/validate" -q --type n=integer --max-reject-rate 0.2 --rejects rej.csv in.csv
	assert_failure 1
	run --separate-stderr "$BIN/validate" -q --type n=integer --max-reject-rate 1 --rejects rej.csv in.csv
	assert_success
}

@test "validate exits 1 on a bad header even when the rejects are tolerated" {
	fm_schema
	printf 'a,c\n1,x\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --schema s.yaml --max-reject-rate 1 --rejects rej.csv in.csv
	assert_failure 1
}

@test "validate exits 1 on empty input with a schema: there is no header" {
	fm_schema
	: >empty.csv
	run --separate-stderr "$BIN/validate" --schema s.yaml --rejects rej.csv empty.csv
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" 'validate: 0 rows read, 0 valid, 0 rejected; header problems (source-error 1): an input has no header'
	assert_equal "$(tail -n +2 rej.csv)" 'empty.csv,1,,source-error,,the input is empty: no header,'
	# without a schema or rules an empty input is an empty CSV
	run --separate-stderr "$BIN/validate" empty.csv
	assert_success
}

@test "fieldsMatch exact (the default) maps fields by position: swapped columns fail the header" {
	# "exact (default): The data source MUST have exactly the same fields as
	# defined in the fields array. Fields MUST be mapped by their order."
	fm_schema
	printf 'b,a\nx,1\n2,y\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --schema s.yaml --rejects rej.csv in.csv
	assert_failure 1
	run cut -d, -f2-6 rej.csv
	assert_line --index 1 '1,b,incorrect-label,,"column 1 is ""b"" but the schema'\''s field 1 is ""a"""'
	assert_line --index 2 '1,a,incorrect-label,,"column 2 is ""a"" but the schema'\''s field 2 is ""b"""'
	# the rows are still checked, by position: column 1 holds field a
	assert_line --index 3 '2,b,type-error,,"""x"" is not an integer"'
	assert_equal "${#lines[@]}" 4
	fm_schema exact
	run --separate-stderr "$BIN/validate" -q --schema s.yaml --rejects rej.csv in.csv
	assert_failure 1
	printf 'a,b\n1,x\n' >ok.csv
	run --separate-stderr "$BIN/validate" --schema s.yaml ok.csv
	assert_success
}

@test "fieldsMatch exact: a column past the fields is extra-label, a field past the columns missing-label" {
	fm_schema
	printf 'a,b,c\n1,x,z\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --schema s.yaml --rejects rej.csv in.csv
	assert_failure 1
	assert_output "$(cat in.csv)"
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-6)" '1,c,extra-label,,"column 3 ""c"" is past the schema'\''s 2 fields"'
	printf 'a\n1\nz\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --schema s.yaml --rejects rej.csv in.csv
	assert_failure 1
	run cut -d, -f2-6 rej.csv
	assert_line --index 1 '1,b,missing-label,,"no column 2 for the schema'\''s field ""b"""'
	assert_line --index 2 '3,a,type-error,,"""z"" is not an integer"'
}

@test "fieldsMatch equal maps by name: the same fields in any order pass, a missing or extra one fails" {
	# "equal: The data source MUST have exactly the same fields as defined in
	# the fields array. Fields MUST be mapped by their names."
	fm_schema equal
	printf 'b,a\nx,1\n' >in.csv
	run --separate-stderr "$BIN/validate" --schema s.yaml in.csv
	assert_success
	assert_output "$(cat in.csv)"
	printf 'b,a,c\nx,1,z\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --schema s.yaml --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-6)" '1,c,extra-label,,"column ""c"" is not in the schema"'
	printf 'b\nx\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --schema s.yaml --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-6)" '1,a,missing-label,,"no column ""a"" as the schema requires"'
}

@test "fieldsMatch subset: every field must be there, other columns may be" {
	# "subset: The data source MUST have all the fields defined in the fields
	# array, but MAY have more. Fields MUST be mapped by their names."
	fm_schema subset
	printf 'c,b,a\nz,x,1\n' >in.csv
	run --separate-stderr "$BIN/validate" --schema s.yaml in.csv
	assert_success
	printf 'c,b\nz,x\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --schema s.yaml --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-6)" '1,a,missing-label,,"no column ""a"" as the schema requires"'
}

@test "fieldsMatch superset: only fields may be there, not all of them need be" {
	# "superset: The data source MUST only have fields defined in the fields
	# array, but MAY have fewer. Fields MUST be mapped by their names."
	fm_schema superset
	printf 'b\nx\n' >in.csv
	run --separate-stderr "$BIN/validate" --schema s.yaml in.csv
	assert_success
	printf 'b,c\nx,z\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --schema s.yaml --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-6)" '1,c,extra-label,,"column ""c"" is not in the schema"'
}

@test "fieldsMatch partial: at least one field must be there" {
	# "partial: The data source MUST have at least one field defined in the
	# fields array. Fields MUST be mapped by their names."
	fm_schema partial
	printf 'c,a\nz,1\nz,q\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --schema s.yaml --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-6)" '3,a,type-error,,"""q"" is not an integer"'
	printf 'c,d\nz,1\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --schema s.yaml --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-6)" '1,,missing-label,,no column is a field of the schema (fieldsMatch partial)'
}

@test "validate refuses a fieldsMatch the spec does not define" {
	fm_schema loose
	run --separate-stderr "$BIN/validate" --schema s.yaml </dev/null
	assert_failure 3
	assert_equal "$stderr" 'validate: s.yaml:4: "fieldsMatch" must be exact, equal, subset, superset or partial'
}

@test "validate reports a header problem once and still checks every row" {
	fm_schema equal
	printf 'a,b,a\n1,x,2\nq,y,3\n' >in.csv
	run --separate-stderr "$BIN/validate" --schema s.yaml --rejects rej.csv in.csv
	assert_failure 1
	assert_output "$(printf 'a,b,a\n1,x,2')"
	run cut -d, -f2-6 rej.csv
	assert_line --index 1 '1,a,duplicate-label,,"""a"" names columns 1 and 3"'
	assert_line --index 2 '3,a,type-error,,"""q"" is not an integer"'
	assert_equal "${#lines[@]}" 3
	assert_equal "$stderr" 'validate: 2 rows read, 1 valid, 1 rejected (type-error 1); header problems (duplicate-label 1): the header does not match'
}

@test "validate rejects a row of empty cells as blank-row, and only that" {
	printf 'a,b\n1,2\n,\n"",""\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --require a --type b=integer --rejects rej.csv in.csv
	assert_failure 1
	assert_output "$(printf 'a,b\n1,2')"
	run cut -d, -f2-6 rej.csv
	assert_line --index 1 '3,,blank-row,,the row is empty'
	assert_line --index 2 '4,,blank-row,,the row is empty'
	# a missing value is empty too
	printf 'fields: [{name: a}, {name: b}]\nmissingValues: ["", "NA"]\n' >s.yaml
	printf 'a,b\nNA,\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --schema s.yaml --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-6)" '2,,blank-row,,the row is empty'
}

@test "validate lists every problem of a rejected row, one reject per row" {
	printf 'a,b,c\nx,y,-1\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --report json --type a=integer --type b=integer --type c=integer \
		--min c=0 --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-6)" \
		'2,a,type-error,,"""x"" is not an integer; column b: type-error: ""y"" is not an integer; column c: constraint-error minimum: ""-1"" is below the minimum 0"'
	assert_equal "$stderr" '{"rows": 1, "valid": 0, "rejected": 1, "rejects_by_rule": {"type-error": 1}, "header_problems": {}, "problems_by_rule": {"type-error": 2, "constraint-error": 1}, "result": "rows were rejected"}'
	# a short row: its missing cell, then its cells' own problems
	printf 'a,b,c\nx,1\n' >in.csv
	"$BIN/validate" -q --type a=integer --rejects rej.csv in.csv >/dev/null || true
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-)" \
		'2,c,missing-cell,,"the row has 2 fields, the header 3; column a: type-error: ""x"" is not an integer","x,1"'
}

@test "validate keeps rows in = rows out + rejected when rows have many problems" {
	printf 'a,b\nx,y\n1,2\n,\nq\n3,4,5\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --report json --type a=integer --type b=integer --rejects rej.csv in.csv
	assert_failure 1
	rows=$(sed 's/.*"rows": \([0-9]*\).*/\1/' <<<"$stderr")
	rejected=$(($(wc -l <rej.csv) - 1))
	assert_equal "$rows" 5
	assert_equal "$rejected" 4
	assert_equal "$((${#lines[@]} - 1))" 1
}

# ---- issue 16: encodings ----
# Input in UTF-8 (with or without a byte order mark), UTF-16 by its mark,
# or what --encoding names, converted with iconv; output always UTF-8.

# people_files: a small file with accented names and euro signs, in UTF-8,
# and the same rows in Latin-1 (no euro there), Windows-1252 and UTF-16.
people_files() {
	printf 'name,city,price\nJosé,Zürich,3 €\nAnn,Köln,"1,5 €"\nÇa,Sète,x\n' >u8.csv
	sed 's/ €/ EUR/g' u8.csv >u8-noeuro.csv
	iconv -f utf-8 -t latin1 u8-noeuro.csv >l1.csv
	iconv -f utf-8 -t windows-1252 u8.csv >cp.csv
	{ printf '\xff\xfe'; iconv -f utf-8 -t utf-16le u8.csv; } >u16le.csv
	{ printf '\xfe\xff'; iconv -f utf-8 -t utf-16be u8.csv; } >u16be.csv
}

@test "validate drops a UTF-8 byte order mark: the first column's name and the output have none" {
	people_files
	{ printf '\xef\xbb\xbf'; cat u8.csv; } >bom.csv
	run --separate-stderr "$BIN/validate" --require name --type price=string bom.csv
	assert_success
	assert_output "$(cat u8.csv)"
	assert_equal "$stderr" 'validate: 3 rows read, 3 valid, 0 rejected'
	# the first name maps onto the schema's first field, by position too
	printf 'fields: [{name: name}, {name: city}, {name: price}]\n' >s.yaml
	run --separate-stderr "$BIN/validate" --schema s.yaml bom.csv
	assert_success
	assert_output "$(cat u8.csv)"
}

@test "validate reads UTF-16 LE and BE by their byte order mark and writes UTF-8" {
	people_files
	for f in u16le.csv u16be.csv; do
		run --separate-stderr "$BIN/validate" --require name "$f"
		assert_success
		assert_output "$(cat u8.csv)"
		assert_equal "$stderr" 'validate: 3 rows read, 3 valid, 0 rejected'
	done
	# -v says what the input was read as
	run --separate-stderr "$BIN/validate" -v u16be.csv
	assert_stderr_line 'validate: u16be.csv: read as UTF-16BE (byte order mark)'
}

@test "validate writes the rejects of a converted input in UTF-8, raw row included" {
	people_files
	run --separate-stderr "$BIN/validate" --pattern 'price=[0-9 ,]+€' --rejects rej.csv u16le.csv
	assert_failure 1
	assert_output "$(head -n 3 u8.csv)"
	assert_equal "$(tail -n +2 rej.csv)" 'u16le.csv,4,price,constraint-error,pattern,"""x"" does not match the pattern [0-9 ,]+€","Ça,Sète,x"'
	iconv -f utf-8 -t utf-8 rej.csv >/dev/null # valid UTF-8 throughout
}

@test "validate --encoding latin1 converts accented names to UTF-8" {
	people_files
	for name in latin1 ISO-8859-1 iso88591; do
		run --separate-stderr "$BIN/validate" --encoding "$name" --require name l1.csv
		assert_success
		assert_output "$(cat u8-noeuro.csv)"
		assert_equal "$stderr" 'validate: 3 rows read, 3 valid, 0 rejected'
	done
}

@test "validate --encoding cp1252 converts euro signs and curly quotes to UTF-8" {
	people_files
	printf 'q\n“quoted” – 5 €…\n' | iconv -f utf-8 -t windows-1252 >quotes.csv
	for name in cp1252 windows-1252; do
		run --separate-stderr "$BIN/validate" --encoding "$name" cp.csv
		assert_success
		assert_output "$(cat u8.csv)"
		run --separate-stderr "$BIN/validate" --encoding "$name" quotes.csv
		assert_success
		assert_output "$(printf 'q\n“quoted” – 5 €…')"
	done
}

@test "validate --encoding takes any name iconv knows, here UTF-16LE without a mark and ISO-8859-15" {
	people_files
	iconv -f utf-8 -t utf-16le u8.csv >nomark.csv
	run --separate-stderr "$BIN/validate" --encoding utf-16le nomark.csv
	assert_success
	assert_output "$(cat u8.csv)"
	iconv -f utf-8 -t iso-8859-15 u8.csv >l9.csv
	run --separate-stderr "$BIN/validate" --encoding ISO-8859-15 l9.csv
	assert_success
	assert_output "$(cat u8.csv)"
}

@test "validate --encoding with a name iconv does not know is a usage error, before any input is read" {
	run --separate-stderr "$BIN/validate" --encoding klingon </dev/null
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" 'validate: --encoding: unknown encoding "klingon" (iconv -l lists the names this system knows)'
	run --separate-stderr "$BIN/validate" --encoding
	assert_failure 2
}

@test "validate names the likely encoding of a Latin-1 file once, and rejects its rows unchecked" {
	people_files
	run --separate-stderr "$BIN/validate" --require name --rejects rej.csv l1.csv
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" "$(printf '%s\n' \
		'validate: l1.csv:2: not UTF-8 (byte 0xE9, é in latin1); the input looks like latin1: run again with --encoding latin1' \
		'validate: 3 rows read, 0 valid, 3 rejected (encoding-error 3); header problems (encoding-error 1): an input is not UTF-8 (see --encoding)')"
	# one problem for the input, then every row, raw, so that rows in = rows out + rejected
	assert_equal "$(sed -n 2p rej.csv)" \
		'l1.csv,1,,encoding-error,,"the input is not UTF-8 (line 2: byte 0xE9, é in latin1); it looks like latin1: use --encoding latin1","name,city,price"'
	assert_equal "$(tail -n +3 rej.csv | cut -d, -f2-5)" "$(printf '%s\n' 2,,encoding-error, 3,,encoding-error, 4,,encoding-error,)"
	assert_equal "$(tail -n +3 rej.csv | cut -d, -f6 | sort -u)" \
		'not checked: the input is not UTF-8 (the raw row is not UTF-8: shown read as latin1)'
	# the rejects file is UTF-8, its raw rows read as Latin-1: converted
	# back, they are the rows as they came, each quoted as one field
	run iconv -f utf-8 -t utf-8 rej.csv
	assert_success
	assert_equal "$(tail -n +3 rej.csv | sed 's/^\([^,]*,\)\{6\}//' | iconv -f utf-8 -t latin1)" \
		"$(tail -n +2 l1.csv | LC_ALL=C sed 's/"/""/g; s/.*/"&"/')"
	# a tolerance for rejected rows does not cover it
	run --separate-stderr "$BIN/validate" --max-reject-rate 1 l1.csv
	assert_failure 1
	# without --rejects, the one message and the summary, not a line per row
	assert_equal "$(printf '%s\n' "$stderr" | wc -l)" 2
}

@test "validate suggests windows-1252 when bytes 0x80-0x9F are its punctuation, and UTF-16 for NULs in every other byte" {
	people_files
	run --separate-stderr "$BIN/validate" cp.csv
	assert_failure 1
	assert_equal "$(printf '%s\n' "$stderr" | head -n 1)" \
		'validate: cp.csv:2: not UTF-8 (byte 0xE9, é in windows-1252); the input looks like windows-1252: run again with --encoding windows-1252'
	iconv -f utf-8 -t utf-16be u8.csv >nomark.csv
	run --separate-stderr "$BIN/validate" --report json nomark.csv
	assert_failure 1
	assert_equal "$(printf '%s\n' "$stderr" | head -n 1)" \
		'validate: nomark.csv:1: not UTF-8 (a NUL in every other byte); the input looks like utf-16be: run again with --encoding utf-16be'
	assert_equal "$(printf '%s\n' "$stderr" | tail -n 1 | cut -c1-121)" \
		'{"rows": 3, "valid": 0, "rejected": 3, "rejects_by_rule": {"encoding-error": 3}, "header_problems": {"encoding-error": 1}'
}

@test "validate keeps one odd byte in a UTF-8 file a row's encoding-error, and --encoding utf-8 keeps every such file so" {
	printf 'a,b\n1,café\n2,caf\xe9\n3,ok\n' >flaw.csv
	run --separate-stderr "$BIN/validate" --rejects rej.csv flaw.csv
	assert_failure 1
	assert_output "$(printf 'a,b\n1,café\n3,ok')"
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-6)" '3,b,encoding-error,,the value is not valid UTF-8 (the raw row is not UTF-8: shown read as latin1)'
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f7-)" '"2,café"'
	people_files
	run --separate-stderr "$BIN/validate" --encoding utf-8 --rejects rej.csv l1.csv
	assert_failure 1
	assert_output 'name,city,price'
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-5)" "$(printf '%s\n' '2,name,encoding-error,' '3,city,encoding-error,' '4,name,encoding-error,')"
}

@test "validate warns when a byte order mark contradicts --encoding, and reads the input as named" {
	people_files
	run --separate-stderr "$BIN/validate" --encoding latin1 u16le.csv
	assert_stderr_line 'validate: u16le.csv: the input begins with a UTF-16LE byte order mark, but is read as latin1, as --encoding says'
}

@test "validate converts on every thread's chunks as one reader would, rejects included" {
	"$BIN/gen" --rows 20000 --seed 5 --dirty 0.05 | sed '2,$s/e/é/g' >u8.csv
	iconv -f utf-8 -t latin1 u8.csv >l1.csv
	{ printf '\xff\xfe'; iconv -f utf-8 -t utf-16le u8.csv; } >u16.csv
	assert [ "$(wc -c <l1.csv)" -gt 40000 ]
	"$BIN/validate" -q --threads 0 --schema "$SCHEMA" --max-reject-rate 1 --rejects want-rej.csv <u8.csv >want.csv
	for f in l1.csv u16.csv; do
		enc=() && [ "$f" = l1.csv ] && enc=(--encoding latin1)
		ELT_CSV_CHUNK_BYTES=4096 run --separate-stderr "$BIN/validate" -q --threads 3 "${enc[@]}" \
			--schema "$SCHEMA" --max-reject-rate 1 --rejects rej.csv <"$f"
		assert_success
		assert_equal "$output" "$(cat want.csv)"
		run cmp rej.csv want-rej.csv
		assert_success
	done
	assert [ "$(wc -l <want-rej.csv)" -gt 100 ]
}

@test "validate reads a semicolon-delimited Latin-1 file with --encoding and --delimiter, and sniffs it as UTF-8" {
	printf 'name;city\nJosé;Köln\nAnn;"Zürich; Stadt"\n' | iconv -f utf-8 -t latin1 >semi.csv
	run --separate-stderr "$BIN/validate" --encoding latin1 --delimiter ';' semi.csv
	assert_success
	assert_output "$(printf 'name,city\nJosé,Köln\nAnn,Zürich; Stadt')"
	run --separate-stderr "$BIN/validate" --encoding latin1 --sniff semi.csv
	assert_success
	assert_output "$(printf 'name,city\nJosé,Köln\nAnn,Zürich; Stadt')"
	# not UTF-8 is the file's one problem, not its delimiter as well
	run --separate-stderr "$BIN/validate" semi.csv
	assert_failure 1
	assert_equal "$(printf '%s\n' "$stderr" | head -n 1)" \
		'validate: semi.csv:2: not UTF-8 (byte 0xE9, é in latin1); the input looks like latin1: run again with --encoding latin1'
}

@test "validate --sealed finds the seal of a converted stream" {
	"$BIN/gen" --rows 300 --seed 2 --seal | iconv -f utf-8 -t utf-16 >sealed16.csv
	run --separate-stderr "$BIN/validate" --sealed --seal sealed16.csv
	assert_success
	assert_equal "$(printf '%s\n' "$output" | tail -n 1)" '#elt-seal v1 rows=00000000000000000300'
	head -c -20 sealed16.csv >cut16.csv
	run --separate-stderr "$BIN/validate" --sealed cut16.csv
	assert_failure 3
}

# ---------------------------------------------------------------------------
# CSV dialects (issue 16), as Frictionless's CSV Dialect (v1.2) and Table
# Dialect (v2) word them: each property, its default, the spec's own
# examples; --sniff; one message for a delimiter that looks wrong; the
# output is RFC 4180 CSV with commas whatever the input's dialect; and
# parallel reading gives what one reader gives under every dialect.
# ---------------------------------------------------------------------------

@test "dialect delimiter: the spec's id|name example reads as two columns, and the output is comma CSV" {
	printf 'id|name\n1|apple\n2|orange\n3|red,ripe\n' >in.csv
	run --separate-stderr "$BIN/validate" --delimiter '|' in.csv
	assert_success
	assert_output "$(printf 'id,name\n1,apple\n2,orange\n3,"red,ripe"')"
	# the same from a dialect file
	echo '{"delimiter": "|"}' >d.json
	run --separate-stderr "$BIN/validate" --dialect d.json in.csv
	assert_success
	assert_output "$(printf 'id,name\n1,apple\n2,orange\n3,"red,ripe"')"
	# the default delimiter is a comma
	printf 'a,b\n1,2\n' >c.csv
	run --separate-stderr "$BIN/validate" c.csv
	assert_output "$(printf 'a,b\n1,2')"
}

@test "dialect delimiter: any single byte, tab by name; -t keeps tab-separated input and output" {
	printf 'a\tb\n1\tx,y\n' >in.tsv
	run --separate-stderr "$BIN/validate" --delimiter tab in.tsv
	assert_success
	assert_output "$(printf 'a,b\n1,"x,y"')"
	run --separate-stderr "$BIN/validate" -t in.tsv
	assert_success
	assert_output "$(printf 'a\tb\n1\tx,y')"
	printf 'a;b\n1;2\n' >in.csv
	run --separate-stderr "$BIN/validate" --delimiter ';' in.csv
	assert_output "$(printf 'a,b\n1,2')"
	run --separate-stderr "$BIN/validate" --delimiter ';;' in.csv
	assert_failure 2
	assert_equal "$stderr" 'validate: --delimiter: ";;" is not one character (a byte; "tab" for a tab)'
}

@test "dialect quoteChar: the spec's 'apple,fruits' example is one cell, written back with double quotes" {
	printf "id,name\n1,'apple,fruits'\n2,'orange,fruits'\n3,'it''s'\n4,say \"hi\"\n" >in.csv
	run --separate-stderr "$BIN/validate" --quote-char "'" in.csv
	assert_success
	assert_output "$(printf 'id,name\n1,"apple,fruits"\n2,"orange,fruits"\n3,it'"'"'s\n4,"say ""hi"""')"
	echo "{\"quoteChar\": \"'\"}" >d.json
	run --separate-stderr "$BIN/validate" --dialect d.json in.csv
	assert_success
	assert_line --index 1 '1,"apple,fruits"'
}

@test "dialect doubleQuote: true by default, two quotes inside quotes are one, as the spec's example" {
	printf 'id,name\n1,"apple""fruits"\n2,"orange""fruits"\n' >in.csv
	run --separate-stderr "$BIN/validate" in.csv
	assert_success
	assert_output "$(printf 'id,name\n1,"apple""fruits"\n2,"orange""fruits"')"
	echo '{"doubleQuote": true}' >d.json
	run --separate-stderr "$BIN/validate" --dialect d.json in.csv
	assert_success
	assert_line --index 1 '1,"apple""fruits"'
}

@test "dialect doubleQuote false: a quote closes the field, so a doubled one makes the row malformed" {
	printf 'id,name\n1,"apple""fruits"\n2,"plain, quoted"\n' >in.csv
	run --separate-stderr "$BIN/validate" --no-double-quote --rejects rej.csv in.csv
	assert_failure 1
	assert_output "$(printf 'id,name\n2,"plain, quoted"')"
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-4)" '2,,source-error'
	run grep -c 'doubleQuote is false' rej.csv
	assert_output 1
	echo '{"doubleQuote": false}' >d.json
	run --separate-stderr "$BIN/validate" --dialect d.json in.csv
	assert_failure 1
}

@test "dialect escapeChar: the spec's apple|,fruits example reads apple,fruits; it escapes quotes and itself" {
	printf 'id,name\n1,apple|,fruits\n2,orange|,fruits\n' >in.csv
	run --separate-stderr "$BIN/validate" --escape-char '|' in.csv
	assert_success
	assert_output "$(printf 'id,name\n1,"apple,fruits"\n2,"orange,fruits"')"
	printf 'a,b\n1,"say \\"hi\\""\n2,back\\\\slash\n3,two\\\nlines\n' >esc.csv
	echo '{"escapeChar": "\\", "doubleQuote": false}' >d.json
	run --separate-stderr "$BIN/validate" --dialect d.json esc.csv
	assert_success
	assert_output "$(printf 'a,b\n1,"say ""hi"""\n2,back\\slash\n3,"two\nlines"')"
	# without an escape character (the default) the comma splits the cell
	run --separate-stderr "$BIN/validate" -q --rejects rej.csv in.csv
	assert_failure 1
	assert_output 'id,name'
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2,4)" "$(printf '2,extra-cell\n3,extra-cell')"
}

@test "dialect skipInitialSpace: false by default keeps the space; true drops it, as the spec's example" {
	printf 'id, name\n1, apple\n2, "orange, ripe"\n' >in.csv
	run --separate-stderr "$BIN/validate" --skip-initial-space in.csv
	assert_success
	assert_output "$(printf 'id,name\n1,apple\n2,"orange, ripe"')"
	echo '{"skipInitialSpace": true}' >d.json
	run --separate-stderr "$BIN/validate" --dialect d.json in.csv
	assert_success
	assert_line --index 1 '1,apple'
	# the default: the space is part of the next field (a quote after it strays)
	run --separate-stderr "$BIN/validate" -q --rejects rej.csv in.csv
	assert_failure 1
	assert_output "$(printf 'id, name\n1, apple')"
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2,4)" '3,source-error'
}

@test "dialect commentChar: the spec's #fruits row is omitted, and line numbers still count it" {
	printf 'id,name\n#fruits\n1,apple\n# a comment with a "stray quote\n2,orange\nx,pear\n' >in.csv
	run --separate-stderr "$BIN/validate" --comment-char '#' --type id=integer --rejects rej.csv in.csv
	assert_failure 1
	assert_output "$(printf 'id,name\n1,apple\n2,orange')"
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-4)" '6,id,type-error'
	assert_equal "$stderr" 'validate: 3 rows read, 2 valid, 1 rejected (type-error 1): rows were rejected'
	# a comment character inside a field, or quoted, is data
	printf 'id,name\n1,#2\n"#3",x\n' >in.csv
	run --separate-stderr "$BIN/validate" --comment-char '#' in.csv
	assert_success
	assert_output "$(printf 'id,name\n1,#2\n#3,x')"
	# without commentChar (the default) a comment line is a row
	printf 'id,name\n#fruits\n1,apple\n' >in.csv
	run --separate-stderr "$BIN/validate" -q --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2,4)" '2,missing-cell'
}

@test "dialect header row: --header-row N takes line N as the header and skips the lines above unread" {
	printf 'Sales export "draft\ngenerated 2026-12-01\nid,name\n1,apple\n2,x\n' >in.csv
	run --separate-stderr "$BIN/validate" --header-row 3 --type id=integer in.csv
	assert_success
	assert_output "$(printf 'id,name\n1,apple\n2,x')"
	run --separate-stderr "$BIN/validate" --skip-rows 2 --type id=integer --rejects rej.csv in.csv
	assert_success
	assert_output "$(printf 'id,name\n1,apple\n2,x')"
	# the spec's headerRows, one row of it
	echo '{"headerRows": [3]}' >d.json
	run --separate-stderr "$BIN/validate" --dialect d.json in.csv
	assert_success
	assert_line --index 0 'id,name'
	# line numbers are the file's
	printf 'junk\nid,name\nq,apple\n' >in.csv
	run --separate-stderr "$BIN/validate" --header-row 2 --type id=integer in.csv
	assert_failure 1
	assert_equal "${stderr%%$'\n'*}" 'validate: in.csv:3: column id type-error: "q" is not an integer'
	run --separate-stderr "$BIN/validate" --header-row 2 --skip-rows 2 in.csv
	assert_failure 2
	assert_equal "$stderr" 'validate: --skip-rows: the header row is already line 2'
	echo '{"headerRows": [1, 2]}' >d.json
	run --separate-stderr "$BIN/validate" --dialect d.json in.csv
	assert_failure 3
	assert_equal "$stderr" 'validate: d.json:1: dialect: "headerRows" lists 2 rows: a header of several rows is not supported'
}

@test "dialect header false: the spec's rows are data; columns take the schema's names, or field1, field2" {
	printf '1,apple\n2,orange\n' >in.csv
	run --separate-stderr "$BIN/validate" --no-header in.csv
	assert_success
	assert_output "$(printf 'field1,field2\n1,apple\n2,orange')"
	assert_equal "$stderr" 'validate: 2 rows read, 2 valid, 0 rejected'
	printf 'fields: [{name: id, type: integer}, {name: name}]\ndialect: {header: false}\n' >s.yaml
	printf '1,apple\nx,orange\n' >in.csv
	run --separate-stderr "$BIN/validate" --schema s.yaml --rejects rej.csv in.csv
	assert_failure 1
	assert_output "$(printf 'id,name\n1,apple')"
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-4)" '2,id,type-error'
	# a row as short as the schema's fields is a missing cell, not a missing label
	printf '1\n' >in.csv
	run --separate-stderr "$BIN/validate" --schema s.yaml --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-4)" '1,name,missing-cell'
}

@test "dialect sources: a schema's dialect, then --dialect FILE, then options, each overriding the one before" {
	printf 'fields: [{name: a}, {name: b}]\ndialect: {delimiter: ";", quoteChar: "'"'"'"}\n' >s.yaml
	printf "a;b\n1;'x;y'\n" >semi.csv
	run --separate-stderr "$BIN/validate" --schema s.yaml semi.csv
	assert_success
	assert_output "$(printf 'a,b\n1,x;y')"
	printf "a|b\n1|'x|y'\n" >pipe.csv
	echo '{"delimiter": "|"}' >d.json
	run --separate-stderr "$BIN/validate" --schema s.yaml --dialect d.json pipe.csv
	assert_success
	assert_output "$(printf 'a,b\n1,x|y')"
	printf 'a:b\n1:"x:y"\n' >colon.csv
	run --separate-stderr "$BIN/validate" --schema s.yaml --dialect d.json --delimiter : --quote-char '"' colon.csv
	assert_success
	assert_output "$(printf 'a,b\n1,x:y')"
	# a schema without a dialect is read as RFC 4180, and "dialect" draws no unknown-key warning
	printf 'fields: [{name: a}, {name: b}]\n' >plain.yaml
	run --separate-stderr "$BIN/validate" --schema s.yaml semi.csv
	refute_output --partial 'unknown key'
}

@test "dialect: what the spec allows but validate cannot read is refused with file and line, exit 3" {
	printf 'a,b\n1,2\n' >in.csv
	printf '{\n  "delimiter": ",",\n  "nullSequence": "NA"\n}\n' >d.json
	run --separate-stderr "$BIN/validate" --dialect d.json in.csv
	assert_failure 3
	assert_equal "$stderr" "validate: d.json:3: dialect: \"nullSequence\" is not supported: list the value in the schema's missingValues instead"
	echo '{"lineTerminator": ";"}' >d.json
	run --separate-stderr "$BIN/validate" --dialect d.json in.csv
	assert_failure 3
	assert_equal "$stderr" 'validate: d.json:1: dialect: "lineTerminator" other than CRLF, LF or CR is not supported'
	# the spec's lineTerminator values are all read alike; unknown keys are warned about
	echo '{"lineTerminator": "\n", "caseSensitiveHeader": false, "mystery": 1}' >d.json
	run --separate-stderr "$BIN/validate" --dialect d.json in.csv
	assert_success
	assert_equal "${stderr%%$'\n'*}" 'validate: d.json:1: dialect: unknown key "mystery" ignored'
}

@test "dialect: characters that cannot work together are a usage error, exit 2" {
	printf 'a,b\n1,2\n' >in.csv
	run --separate-stderr "$BIN/validate" --quote-char , in.csv
	assert_failure 2
	assert_equal "$stderr" "validate: the dialect cannot be read: the delimiter and the quote character are both ','"
	run --separate-stderr "$BIN/validate" --escape-char '"' in.csv
	assert_failure 2
	run --separate-stderr "$BIN/validate" --sniff --delimiter ';' in.csv
	assert_failure 2
}

@test "--sniff finds a ; tab | or : delimiter from the first rows and says so on stderr" {
	"$BIN/gen" --rows 200 --seed 4 >s.csv
	for d in ';' $'\t' '|' ':'; do
		# gen's timestamps hold colons: quote every field for the ':' case
		if [ "$d" = : ]; then
			sed 's/[^,]*/"&"/g; s/,/:/g' s.csv >in.csv
		else
			tr , "$d" <s.csv >in.csv
		fi
		run --separate-stderr "$BIN/validate" --sniff --schema "$SCHEMA" in.csv
		assert_success
		assert_equal "$output" "$(cat s.csv)"
		name="'$d'"
		[ "$d" = $'\t' ] && name=tab
		assert_equal "${stderr%%$'\n'*}" "validate: in.csv: sniffed the delimiter $name (8 columns)"
	done
}

@test "--sniff on stdin, and on a sealed stream, passes every byte on" {
	"$BIN/gen" --rows 3000 --seed 5 --seal | tr , ';' >sealed.txt
	run --separate-stderr "$BIN/validate" --sniff --sealed --schema "$SCHEMA" <sealed.txt
	assert_success
	assert_equal "$(printf '%s\n' "$output" | wc -l)" 3001
	assert_equal "${stderr%%$'\n'*}" "validate: <stdin>: sniffed the delimiter ';' (8 columns)"
}

@test "--sniff that finds nothing says so and reads with the comma" {
	printf 'word\nalpha\nbeta\n' >in.csv
	run --separate-stderr "$BIN/validate" --sniff in.csv
	assert_success
	assert_output "$(printf 'word\nalpha\nbeta')"
	assert_equal "${stderr%%$'\n'*}" "validate: in.csv: --sniff found no delimiter that splits the first rows alike; reading with ','"
}

@test "a file of semicolons read with commas gets one message suggesting --delimiter ';', not a reject per row" {
	"$BIN/gen" --rows 5000 --seed 6 | tr , ';' | sed 's/\.\([0-9][0-9]\)/,\1/g' >in.csv
	run --separate-stderr "$BIN/validate" --schema "$SCHEMA" --rejects rej.csv in.csv
	assert_failure 1
	assert_output ''
	assert_equal "$(wc -l <rej.csv)" 2
	run cut -d, -f2-4 rej.csv
	assert_line --index 1 '1,,source-error'
	run grep -c "try --delimiter ';' (the rows were not checked)" rej.csv
	assert_output 1
	run --separate-stderr "$BIN/validate" --schema "$SCHEMA" in.csv
	assert_equal "${stderr##*$'\n'}" "validate: 0 rows read, 0 valid, 0 rejected; header problems (source-error 1): an input's delimiter looks wrong"
	# told the right one, every row passes
	run --separate-stderr "$BIN/validate" --schema "$SCHEMA" --delimiter ';' in.csv
	assert_failure 1 # the decimal commas are not numbers
	run --separate-stderr "$BIN/validate" --delimiter ';' in.csv
	assert_success
}

@test "the delimiter hint: one message when a schema's columns all sit in one; only a hint without a schema" {
	printf 'id|name\n1|apple\n2|pear\n' >in.csv
	printf 'fields: [{name: id}, {name: name}]\n' >s.yaml
	run --separate-stderr "$BIN/validate" --schema s.yaml --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$(wc -l <rej.csv)" 2
	run grep -c "the header is one column where the schema has 2 fields, but with '|' the header and the first rows all have 2 fields: try --delimiter '|'" rej.csv
	assert_output 1
	# one column is fine CSV without a schema: the rows pass, with a hint
	run --separate-stderr "$BIN/validate" in.csv
	assert_success
	assert_output "$(cat in.csv)"
	assert_equal "${stderr%%$'\n'*}" "validate: in.csv: with the delimiter ',' every row is one column, but with '|' the header and the first rows all have 2 fields: is the delimiter '|'? (--delimiter or --sniff)"
	# rows that merely vary (a ragged file) get their rejects as before
	printf 'a,b\n1,2,3\n4\n5,6\n' >ragged.csv
	run --separate-stderr "$BIN/validate" -q --rejects rej.csv ragged.csv
	assert_failure 1
	assert_equal "$(wc -l <rej.csv)" 3
}

@test "the output and the rejects are RFC 4180 CSV with commas whatever the input dialect; raw keeps the row as read" {
	printf "id;name\n1;'a;b'\n2;'say \"hi\"'\nx;'c'\n" >in.csv
	run --separate-stderr "$BIN/validate" --delimiter ';' --quote-char "'" --type id=integer --rejects rej.csv in.csv
	assert_failure 1
	assert_output "$(printf 'id,name\n1,a;b\n2,"say ""hi"""')"
	assert_equal "$(tail -n +2 rej.csv)" "in.csv,4,id,type-error,,\"\"\"x\"\" is not an integer\",x;'c'"
}

# The same input in a dialect, through csvpar with small chunks on several
# threads and through one thread: the same output and rejects.
same_both_ways() {
	ELT_CSV_CHUNK_BYTES=4096 "$BIN/validate" -q --threads 3 --rejects rej3.csv "$@" >out3.csv || true
	"$BIN/validate" -q --threads 0 --rejects rej0.csv "$@" >out0.csv || true
	cmp out3.csv out0.csv && cmp rej3.csv rej0.csv
}

@test "dialect: parallel reading gives what one reader gives, under every dialect" {
	"$BIN/gen" --rows 4000 --seed 7 --dirty 0.05 >s.csv
	# semicolons, single quotes around every name, a comment every so often,
	# multi-line quoted fields, escaped delimiters, and a stray quote
	awk -F, -v OFS=';' 'NR > 1 && NR % 97 == 0 { print "# it'"'"'s a comment \"" }
		{ $1 = "'"'"'" $1 (NR % 13 == 0 ? "\nmore" : "") "'"'"'"; $2 = $2 "\\;x"; print }
		NR == 2000 { print "1;x'"'"'y;2" }' s.csv >in.csv
	rules=(--type quantity=integer --require currency,amount)
	run same_both_ways --delimiter ';' --quote-char "'" --comment-char '#' --escape-char '\' "${rules[@]}" in.csv
	assert_success
	assert [ "$(wc -l <out0.csv)" -gt 3000 ]
	assert [ "$(wc -l <rej0.csv)" -gt 20 ]
	run same_both_ways --delimiter ';' --quote-char "'" --comment-char '#' --escape-char '\' --no-double-quote \
		--skip-initial-space "${rules[@]}" in.csv
	assert_success
	tr , '|' <s.csv | sed 's/|/| /g' >pipe.csv
	run same_both_ways --delimiter '|' --skip-initial-space --header-row 1 pipe.csv
	assert_success
	(printf 'preamble "\n\n'; tail -n +1 s.csv) >pre.csv
	run same_both_ways --header-row 3 pre.csv
	assert_success
	tail -n +2 s.csv >nohead.csv
	run same_both_ways --no-header --schema "$SCHEMA" nohead.csv
	assert_success
}

@test "dialect: every hostile input, read under each dialect, keeps rows in = rows out + rejects without a crash" {
	cp "$DATA"/hostile/*.csv .
	dialects=("--delimiter ; --quote-char '" "--escape-char \\ --no-double-quote --comment-char #"
		"--skip-initial-space --header-row 2" "--no-header --comment-char ,")
	for f in *.csv; do
		for d in "${dialects[@]}"; do
			status=0
			# shellcheck disable=SC2086
			"$BIN/validate" --report json -q $d --rejects rej.csv "$f" >out.csv 2>err || status=$?
			[ "$status" -le 1 ] || fail "$f with $d: exit $status: $(cat err)"
			rows=$(sed -n 's/.*"rows": \([0-9]*\).*/\1/p' err)
			valid=$(sed -n 's/.*"valid": \([0-9]*\).*/\1/p' err)
			rejected=$(($(wc -l <rej.csv) - 1))
			header=$(grep -o '"header_problems": {[^}]*}' err | grep -o '[0-9][0-9]*' | awk '{ n += $1 } END { print n + 0 }')
			[ "$rows" -eq $((valid + rejected - ${header:-0})) ] ||
				fail "$f with $d: $rows rows, $valid valid, $rejected rejects ($header for the header)"
		done
	done
}

# ---- issue 16: Data Packages, foreign keys, list, categories, jsonSchema ----
# From the specs' text (Data Package, Data Resource, Table Schema v2):
# resources are found by name; paths are relative to the descriptor and
# MUST NOT be absolute, go up (..) or into hidden folders; a foreign key
# without "resource" (v1: "") refers to the same table, one with a
# resource to that resource of the package.

# write_package: a package with a "stores" table and a "sales" table whose
# store_id refers to stores and whose returns_sale refers to a sale of the
# same table (a parent that may come later in the file).
write_package() {
	mkdir -p data
	printf 'store_id,city\nS1,Oslo\nS2,Bergen\n' >data/stores.csv
	printf 'sale_id,store_id,returns_sale\n1,S1,\n2,S2,3\n3,S1,\n' >data/sales.csv
	cat >datapackage.json <<-'EOF'
		{"name": "shop", "resources": [
		  {"name": "stores", "path": "data/stores.csv", "encoding": "utf-8",
		   "schema": {"fields": [{"name": "store_id"}, {"name": "city"}], "primaryKey": ["store_id"]}},
		  {"name": "sales", "path": "data/sales.csv", "dialect": {"delimiter": ",", "header": true},
		   "schema": {"fields": [{"name": "sale_id", "type": "integer"}, {"name": "store_id"},
		                         {"name": "returns_sale", "type": "integer"}],
		     "foreignKeys": [
		       {"fields": ["store_id"], "reference": {"resource": "stores", "fields": ["store_id"]}},
		       {"fields": ["returns_sale"], "reference": {"fields": ["sale_id"]}}]}}]}
	EOF
}

@test "validate --package RESOURCE writes that resource's valid rows, resolving foreign keys by resource name" {
	write_package
	run --separate-stderr "$BIN/validate" --package datapackage.json sales
	assert_success
	assert_equal "$output" "$(cat data/sales.csv)"
	assert_equal "$stderr" "validate: resource sales: 3 rows read, 3 valid, 0 rejected"
	printf '4,S9,\n' >>data/sales.csv
	run --separate-stderr "$BIN/validate" --package datapackage.json --rejects rej.csv sales
	assert_failure 1
	assert_equal "${#lines[@]}" 4
	assert_equal "$(tail -n +2 rej.csv)" 'data/sales.csv,5,store_id,foreign-key,,"store_id ""S9"" is not in resource ""stores""","4,S9,"'
}

@test "validate --package without RESOURCE checks every resource, writes no rows and exits 1 if any failed" {
	write_package
	run --separate-stderr "$BIN/validate" --package datapackage.json
	assert_success
	assert_equal "$output" ""
	assert_equal "$stderr" "$(printf '%s\n' 'validate: resource stores: 2 rows read, 2 valid, 0 rejected' \
		'validate: resource sales: 3 rows read, 3 valid, 0 rejected')"
	printf 'S1,Trondheim\n' >>data/stores.csv
	run --separate-stderr "$BIN/validate" --package datapackage.json --report json --rejects rej.csv
	assert_failure 1
	assert_equal "$output" ""
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f1-4)" 'data/stores.csv,4,store_id,primary-key'
	assert_equal "$stderr" "$(printf '%s\n' \
		'{"resource": "stores", "rows": 3, "valid": 2, "rejected": 1, "rejects_by_rule": {"primary-key": 1}, "header_problems": {}, "problems_by_rule": {"primary-key": 1}, "result": "rows were rejected"}' \
		'{"resource": "sales", "rows": 3, "valid": 3, "rejected": 0, "rejects_by_rule": {}, "header_problems": {}, "problems_by_rule": {}, "result": ""}')"
}

@test "validate --package reads a schema given as a path and a resource split over several files, each with its header" {
	mkdir data
	printf '{"fields": [{"name": "id", "type": "integer"}], "primaryKey": "id"}' >data/schema.json
	printf 'id\n1\n2\n' >data/part1.csv
	printf 'id\n3\n1\n' >data/part2.csv
	printf '{"resources": [{"name": "ids", "path": ["data/part1.csv", "data/part2.csv"], "schema": "data/schema.json"}]}' \
		>dp.json
	run --separate-stderr "$BIN/validate" --package dp.json ids
	assert_failure 1
	assert_equal "$output" "$(printf 'id\n1\n2\n3')"
	assert_equal "$stderr" "$(printf '%s\n' 'validate: data/part2.csv:3: column id primary-key: id "1" already appeared on line 2' \
		'validate: resource ids: 4 rows read, 3 valid, 1 rejected (primary-key 1): rows were rejected')"
}

@test "validate --package finds paths beside the package file, wherever it is run from" {
	mkdir -p pkg && (cd pkg && write_package)
	run --separate-stderr "$BIN/validate" --package pkg/datapackage.json stores
	assert_success
	assert_equal "$output" "$(cat pkg/data/stores.csv)"
}

@test "validate --package takes a resource that names itself in a foreign key as the same table, parents later included" {
	write_package
	sed -i 's/{"fields": \["sale_id"\]}/{"resource": "sales", "fields": ["sale_id"]}/' datapackage.json
	grep -q '"resource": "sales"' datapackage.json
	printf '4,S1,9\n"5,S1,' >>data/sales.csv
	run --separate-stderr "$BIN/validate" --package datapackage.json --rejects rej.csv sales
	assert_failure 1
	assert_equal "$output" "$(head -n 4 data/sales.csv)"
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-4)" "$(printf '%s\n' '5,returns_sale,foreign-key' '6,,source-error')"
}

@test "validate --package refuses absolute, parent, hidden and URL paths, as the spec's security note asks" {
	for path in /etc/passwd ../x.csv data/../../x.csv .hidden/x.csv 'https://example.com/x.csv'; do
		printf '{"resources": [{"name": "x", "path": "%s"}]}' "$path" >dp.json
		run --separate-stderr "$BIN/validate" --package dp.json
		assert_failure 3
		assert_equal "$output" ""
		assert_regex "$stderr" "^validate: dp.json:1: resource \"x\": path \"$path\" (is absolute|has a \"\.\.\" part|has a hidden part|is a URL)"
	done
	printf '{"resources": [{"name": "x", "path": "x.csv", "schema": "/etc/s.json"}]}' >dp.json
	run --separate-stderr "$BIN/validate" --package dp.json
	assert_failure 3
	assert_equal "$stderr" 'validate: dp.json:1: resource "x": schema "/etc/s.json" is absolute: a package'"'"'s paths must stay inside its directory'
}

@test "validate --package names an unknown resource, a reference to no resource, and options it cannot take" {
	write_package
	run --separate-stderr "$BIN/validate" --package datapackage.json refunds
	assert_failure 2
	assert_equal "$stderr" 'validate: datapackage.json: no resource named "refunds" (it has stores, sales)'
	sed -i 's/"resource": "stores"/"resource": "shops"/' datapackage.json
	run --separate-stderr "$BIN/validate" --package datapackage.json sales
	assert_failure 3
	assert_equal "$stderr" 'validate: datapackage.json: resource "sales": a foreign key refers to "shops", which is no resource of the package'
	for opt in "--schema s.json" "--require a" "--tsv" "--sealed" "--delimiter ;" "--quote-char '" \
		"--no-double-quote" "--escape-char \\" "--skip-initial-space" "--comment-char #" "--header-row 2" \
		"--skip-rows 1" "--no-header" "--dialect d.json" "--sniff" "--encoding latin1"; do
		run --separate-stderr "$BIN/validate" --package datapackage.json $opt sales
		assert_failure 2
		assert_equal "$stderr" "validate: ${opt%% *} cannot be used with --package, which says what the data is and how it is written"
	done
	run --separate-stderr "$BIN/validate" --package datapackage.json --seal
	assert_failure 2
	assert_equal "$stderr" "validate: --seal needs a RESOURCE: without one no rows are written to seal"
}

@test "validate --package refuses a resource's encoding iconv does not know, and checks the rest" {
	write_package
	sed -i 's/"encoding": "utf-8"/"encoding": "klingon"/' datapackage.json
	run --separate-stderr "$BIN/validate" --package datapackage.json
	assert_failure 3
	assert_equal "$stderr" "$(printf '%s\n' \
		'validate: datapackage.json: resource "stores": unknown encoding "klingon" (iconv -l lists the names this system knows)' \
		'validate: datapackage.json: resource "stores": unknown encoding "klingon" (iconv -l lists the names this system knows) (a foreign key of "sales" refers to it)')"
	assert_output ""
	sed -i 's/"klingon"/"UTF-8"/; s/"delimiter": ","/"lineTerminator": "\\n", "quoteChar": "\\""/' datapackage.json
	run --separate-stderr "$BIN/validate" --package datapackage.json sales
	assert_success
}

@test "validate takes a foreign key to the same table: a parent may come later, a missing one is rejected" {
	cat >s.json <<-'EOF'
		{"fields": [{"name": "id"}, {"name": "parent"}],
		 "foreignKeys": [{"fields": "parent", "reference": {"fields": "id"}}]}
	EOF
	printf 'id,parent\nb,c\na,\nc,a\nd,zz\ne,e\n' >in.csv
	run --separate-stderr "$BIN/validate" --schema s.json --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$output" "$(printf 'id,parent\nb,c\na,\nc,a\ne,e')"
	assert_equal "$(tail -n +2 rej.csv)" 'in.csv,5,parent,foreign-key,,"parent ""zz"" is in no row of this table","d,zz"'
	# v1's "resource": "" means the same; stdin is read twice through a copy
	sed -i 's/{"fields": "id"}/{"resource": "", "fields": "id"}/' s.json
	run --separate-stderr "$BIN/validate" --schema s.json <in.csv
	assert_failure 1
	assert_equal "$output" "$(printf 'id,parent\nb,c\na,\nc,a\ne,e')"
	assert_equal "$stderr" "$(printf '%s\n' 'validate: <stdin>:5: column parent foreign-key: parent "zz" is in no row of this table' \
		'validate: 5 rows read, 4 valid, 1 rejected (foreign-key 1): rows were rejected')"
	cat in.csv | "$BIN/validate" -q --schema s.json >piped.csv || true
	assert_equal "$(cat piped.csv)" "$(printf 'id,parent\nb,c\na,\nc,a\ne,e')"
	# so is an input named as a file that is a pipe
	run --separate-stderr "$BIN/validate" -q --schema s.json <(cat in.csv)
	assert_failure 1
	assert_equal "$output" "$(printf 'id,parent\nb,c\na,\nc,a\ne,e')"
}

@test "validate's same-table parents span every input file, and a composite key refers to a composite key" {
	cat >s.json <<-'EOF'
		{"fields": [{"name": "a"}, {"name": "b"}, {"name": "pa"}, {"name": "pb"}],
		 "foreignKeys": [{"fields": ["pa", "pb"], "reference": {"fields": ["a", "b"]}}]}
	EOF
	printf 'a,b,pa,pb\n1,x,2,y\n' >one.csv
	printf 'a,b,pa,pb\n2,y,,\n3,z,2,x\n' >two.csv
	run --separate-stderr "$BIN/validate" --schema s.json --rejects rej.csv one.csv two.csv
	assert_failure 1
	assert_equal "$output" "$(printf 'a,b,pa,pb\n1,x,2,y\n2,y,,')"
	assert_equal "$(tail -n +2 rej.csv)" 'two.csv,3,pa,foreign-key,,"(pa, pb) (""2"", ""x"") is in no row of this table","3,z,2,x"'
}

@test "validate refuses a same-table reference to a field the schema lacks" {
	printf '{"fields": [{"name": "id"}, {"name": "parent"}], "foreignKeys": [{"fields": "parent", "reference": {"fields": "ID"}}]}' >s.json
	run --separate-stderr "$BIN/validate" --schema s.json in.csv
	assert_failure 3
	assert_equal "$stderr" 'validate: s.json:1: foreignKeys.reference: the same table has no field "ID"'
}

@test "validate checks list fields item by item with their delimiter and itemType, lengths counting items" {
	cat >s.json <<-'EOF'
		{"fields": [{"name": "tags", "type": "list"},
		            {"name": "sizes", "type": "list", "itemType": "integer", "delimiter": "|",
		             "constraints": {"minLength": 2, "maxLength": 3}},
		            {"name": "days", "type": "list", "itemType": "date"}]}
	EOF
	printf 'tags,sizes,days\n"value1,value2",1|2,2024-01-26\nx,1|2|3|4,2024-01-26\ny,1|x,"2024-01-26,26/01/2024"\n' >in.csv
	run --separate-stderr "$BIN/validate" --schema s.json --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$output" "$(printf 'tags,sizes,days\n"value1,value2",1|2,2024-01-26')"
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-)" "$(printf '%s\n' \
		'3,sizes,constraint-error,maxLength,"""1|2|3|4"" is longer than 3 items","x,1|2|3|4,2024-01-26"' \
		'4,sizes,type-error,,"""1|x"" has item 2 that is not an integer; column days: type-error: ""2024-01-26,26/01/2024"" has item 2 that is not a date","y,1|x,""2024-01-26,26/01/2024"""')"
	# from the command line a list has the spec's defaults: "," and string items
	run --separate-stderr "$BIN/validate" --type tags=list --rejects rej.csv in.csv
	assert_success
	assert_equal "${#lines[@]}" 4
}

@test "validate restricts string and integer fields to their categories, by logical value" {
	cat >s.json <<-'EOF'
		{"fields": [{"name": "fruit", "type": "string", "categories": ["apple", "orange", "banana"]},
		            {"name": "level", "type": "integer", "categoriesOrdered": true,
		             "categories": [{"value": 1, "label": "Strongly Disagree"}, {"value": 2}, {"value": 3}]}]}
	EOF
	printf 'fruit,level\napple,1\nkiwi,3\nbanana,+02\norange,4\n' >in.csv
	run --separate-stderr "$BIN/validate" --schema s.json --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$output" "$(printf 'fruit,level\napple,1\nbanana,+02')"
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-)" "$(printf '%s\n' \
		'3,fruit,constraint-error,categories,"""kiwi"" is not one of the categories apple, orange, banana","kiwi,3"' \
		'5,level,constraint-error,categories,"""4"" is not one of the categories 1, 2, 3","orange,4"')"
	printf '{"fields": [{"name": "x", "type": "date", "categories": ["2024-01-01"]}]}' >bad.json
	run --separate-stderr "$BIN/validate" --schema bad.json in.csv
	assert_failure 3
	assert_equal "$stderr" 'validate: bad.json:1: field "x": "categories" applies only to string and integer fields'
}

@test "validate checks object and array fields against their jsonSchema and refuses keywords it does not read" {
	cat >s.json <<-'EOF'
		{"fields": [{"name": "doc", "type": "object", "constraints": {"jsonSchema": {
		   "type": "object", "required": ["id"], "additionalProperties": false,
		   "properties": {"id": {"type": "integer", "minimum": 1},
		                  "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}}}}}}]}
	EOF
	printf 'doc\n"{""id"": 1, ""tags"": [""a""]}"\n"{""tags"": []}"\n"{""id"": 1, ""tags"": [""abcd""]}"\n"{""id"": 2, ""x"": 0}"\n' >in.csv
	run --separate-stderr "$BIN/validate" --schema s.json --rejects rej.csv in.csv
	assert_failure 1
	assert_equal "$output" "$(printf 'doc\n"{""id"": 1, ""tags"": [""a""]}"')"
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2-5)" "$(printf '%s\n' '3,doc,constraint-error,jsonSchema' \
		'4,doc,constraint-error,jsonSchema' '5,doc,constraint-error,jsonSchema')"
	run cut -d, -f6- rej.csv
	assert_line --index 1 --partial 'does not match jsonSchema: /: the property ""id"" is required'
	assert_line --index 2 --partial 'does not match jsonSchema: /tags/0: is longer than 3 characters'
	assert_line --index 3 --partial 'does not match jsonSchema: /: the property ""x"" is not allowed (additionalProperties is false)'
	printf '{"fields": [{"name": "doc", "type": "object",\n "constraints": {"jsonSchema": {"anyOf": []}}}]}' >bad.json
	run --separate-stderr "$BIN/validate" --schema bad.json in.csv
	assert_failure 3
	assert_regex "$stderr" '^validate: bad.json:2: field "doc": constraint "jsonSchema": keyword "anyOf" is not supported \(supported: type, properties, '
}

# ---- issue 16: a package resource's dialect, and the dialect of what a
# foreign key refers to ----
# Data Resource: "dialect" is a CSV Dialect (an object, or a path to one)
# describing how the resource's file is written; each resource has its
# own. A foreign key's rows are read as the referenced file is written:
# the same table as the inputs, a package's resource by its own dialect,
# a CSV file named by path as plain RFC 4180 with a header.

# write_dialect_package: "stores" is pipe-delimited under a comment line,
# "sales" semicolon-delimited; sales' store_id refers to stores, its
# returns_sale to a sale of the same table.
write_dialect_package() {
	mkdir -p data
	printf '# stores export\nstore_id|city\nS1|Oslo\nS2|"Ber|gen"\n' >data/stores.csv
	printf 'sale_id;store_id;returns_sale\n1;S1;\n2;S2;3\n3;S9;\n4;S1;7\n' >data/sales.csv
	cat >datapackage.json <<-'EOF'
		{"name": "shop", "resources": [
		  {"name": "stores", "path": "data/stores.csv",
		   "dialect": {"delimiter": "|", "commentChar": "#"},
		   "schema": {"fields": [{"name": "store_id"}, {"name": "city"}], "primaryKey": ["store_id"]}},
		  {"name": "sales", "path": "data/sales.csv", "dialect": {"delimiter": ";"},
		   "schema": {"fields": [{"name": "sale_id", "type": "integer"}, {"name": "store_id"},
		                         {"name": "returns_sale", "type": "integer"}],
		     "foreignKeys": [
		       {"fields": ["store_id"], "reference": {"resource": "stores", "fields": ["store_id"]}},
		       {"fields": ["returns_sale"], "reference": {"fields": ["sale_id"]}}]}}]}
	EOF
}

@test "validate --package reads a resource in its own dialect and writes its rows as RFC 4180 CSV" {
	write_dialect_package
	run --separate-stderr "$BIN/validate" --package datapackage.json stores
	assert_success
	assert_output "$(printf 'store_id,city\nS1,Oslo\nS2,Ber|gen')"
	assert_equal "$stderr" "validate: resource stores: 2 rows read, 2 valid, 0 rejected"
}

@test "validate --package reads a foreign key's resource in that resource's dialect, not the referencing one's" {
	write_dialect_package
	run --separate-stderr "$BIN/validate" --package datapackage.json --rejects rej.csv sales
	assert_failure 1
	assert_output "$(printf 'sale_id,store_id,returns_sale\n1,S1,\n2,S2,3')"
	run cut -d, -f1-5 rej.csv
	assert_output "$(printf '%s\n' 'file,line,column,rule,constraint' \
		'data/sales.csv,4,store_id,foreign-key,' 'data/sales.csv,5,returns_sale,foreign-key,')"
	run grep -c 'store_id ""S9"" is not in resource ""stores""' rej.csv
	assert_output 1
	run grep -c 'is in no row of this table' rej.csv
	assert_output 1
}

@test "validate --package finds a referenced resource's columns by position when its dialect says it has no header" {
	write_dialect_package
	printf 'S1|Oslo\nS2|Bergen\n' >data/stores.csv
	sed -i 's/"commentChar": "#"/"header": false/' datapackage.json
	run --separate-stderr "$BIN/validate" --package datapackage.json sales
	assert_failure 1
	assert_output "$(printf 'sale_id,store_id,returns_sale\n1,S1,\n2,S2,3')"
	# Without a schema nothing says which column is store_id.
	python3 -c 'import json; d = json.load(open("datapackage.json")); del d["resources"][0]["schema"]; json.dump(d, open("datapackage.json", "w"))'
	run --separate-stderr "$BIN/validate" --package datapackage.json sales
	assert_failure 3
	assert_equal "$stderr" 'validate: data/stores.csv: foreign key resource has no header row (its dialect says "header": false) and no schema to say which column is which'
}

@test "validate --package takes a resource's dialect from a file beside the package, and names the line of a bad one" {
	write_dialect_package
	printf '{"delimiter": ";"}\n' >sales.dialect.json
	sed -i 's/"dialect": {"delimiter": ";"}/"dialect": "sales.dialect.json"/' datapackage.json
	run --separate-stderr "$BIN/validate" --package datapackage.json sales
	assert_failure 1
	assert_output "$(printf 'sale_id,store_id,returns_sale\n1,S1,\n2,S2,3')"
	printf '{\n "delimiter": ";;"}\n' >sales.dialect.json
	run --separate-stderr "$BIN/validate" --package datapackage.json sales
	assert_failure 3
	assert_equal "$stderr" 'validate: sales.dialect.json:2: dialect: "delimiter" must be one character, not ";;" (longer ones are not supported)'
	sed -i 's/"dialect": "sales.dialect.json"/"dialect": {"delimiter": ";", "quoteChar": ";"}/' datapackage.json
	run --separate-stderr "$BIN/validate" --package datapackage.json sales
	assert_failure 3
	assert_equal "$stderr" "validate: datapackage.json:5: dialect: the delimiter and the quote character are both ';'"
}

@test "validate reads a same-table foreign key's parents in the inputs' dialect: options, no header, stdin, --sniff" {
	cat >s.json <<-'EOF'
		{"fields": [{"name": "id"}, {"name": "parent"}],
		 "foreignKeys": [{"fields": "parent", "reference": {"resource": "", "fields": "id"}}]}
	EOF
	printf '# an export\nid;parent\n1;\n2;3\n3;1\n4;9\n' >t.csv
	want=$(printf 'id,parent\n1,\n2,3\n3,1')
	run --separate-stderr "$BIN/validate" --schema s.json --delimiter ';' --comment-char '#' t.csv
	assert_failure 1
	assert_output "$want"
	assert_equal "$stderr" "$(printf '%s\n' 'validate: t.csv:6: column parent foreign-key: parent "9" is in no row of this table' \
		'validate: 4 rows read, 3 valid, 1 rejected (foreign-key 1): rows were rejected')"
	run --separate-stderr "$BIN/validate" --schema s.json --sniff --comment-char '#' t.csv
	assert_failure 1
	assert_output "$want"
	printf '1;\n2;3\n3;1\n4;9\n' >t2.csv
	run --separate-stderr "$BIN/validate" --schema s.json --delimiter ';' --no-header t2.csv
	assert_failure 1
	assert_output "$want"
	run --separate-stderr "$BIN/validate" --schema s.json --delimiter ';' --no-header <t2.csv
	assert_failure 1
	assert_output "$want"
	assert_equal "${stderr_lines[0]}" 'validate: <stdin>:4: column parent foreign-key: parent "9" is in no row of this table'
}

@test "validate reads a foreign key's CSV file named by path as RFC 4180 CSV, whatever the inputs' dialect" {
	printf 'id,name\nA,x;y\n' >ref.csv
	cat >s.json <<-'EOF'
		{"fields": [{"name": "id"}, {"name": "parent"}],
		 "foreignKeys": [{"fields": "parent", "reference": {"resource": "ref.csv", "fields": "id"}}]}
	EOF
	run --separate-stderr "$BIN/validate" --schema s.json --delimiter ';' < <(printf 'id;parent\n1;A\n2;B\n')
	assert_failure 1
	assert_output "$(printf 'id,parent\n1,A')"
	assert_equal "${stderr_lines[0]}" 'validate: <stdin>:3: column parent foreign-key: parent "B" is not in ref.csv'
}

# ---- issue 16: a package resource's encoding, and the encoding of what a
# foreign key refers to ----
# Data Resource: "encoding" names the character encoding of the resource's
# data (default UTF-8). It is converted as --encoding converts; a foreign
# key reads a resource in that resource's encoding, the same table in the
# inputs'.

@test "validate --package reads a Latin-1, semicolon-delimited resource and writes it as UTF-8 CSV" {
	mkdir data
	printf 'sale_id;city\n1;Troms\xf8\n2;\xc5lesund\n' >data/sales.csv
	cat >datapackage.json <<-'EOF'
		{"resources": [{"name": "sales", "path": "data/sales.csv", "encoding": "latin1",
		  "dialect": {"delimiter": ";"},
		  "schema": {"fields": [{"name": "sale_id", "type": "integer"}, {"name": "city", "constraints": {"maxLength": 7}}]}}]}
	EOF
	run --separate-stderr "$BIN/validate" --package datapackage.json sales
	assert_success
	assert_output "$(printf 'sale_id,city\n1,Tromsø\n2,Ålesund')"
	assert_equal "$stderr" "validate: resource sales: 2 rows read, 2 valid, 0 rejected"
}

@test "validate --package reads a foreign key's resource in its own encoding and dialect" {
	mkdir data
	printf 'store_id|city\nS\xc51|Troms\x9a\nS2|Oslo\n' >data/stores.csv
	printf 'sale_id;store_id\n1;S\xc51\n2;S3\n' >data/sales.csv
	cat >datapackage.json <<-'EOF'
		{"resources": [
		  {"name": "stores", "path": "data/stores.csv", "encoding": "windows-1252", "dialect": {"delimiter": "|"},
		   "schema": {"fields": [{"name": "store_id"}, {"name": "city"}]}},
		  {"name": "sales", "path": "data/sales.csv", "encoding": "latin1", "dialect": {"delimiter": ";"},
		   "schema": {"fields": [{"name": "sale_id"}, {"name": "store_id"}],
		     "foreignKeys": [{"fields": "store_id", "reference": {"resource": "stores", "fields": "store_id"}}]}}]}
	EOF
	run --separate-stderr "$BIN/validate" --package datapackage.json sales
	assert_failure 1
	assert_output "$(printf 'sale_id,store_id\n1,SÅ1')"
	assert_equal "${stderr_lines[0]}" 'validate: data/sales.csv:3: column store_id foreign-key: store_id "S3" is not in resource "stores"'
	run --separate-stderr "$BIN/validate" --package datapackage.json stores
	assert_success
	assert_output "$(printf 'store_id,city\nSÅ1,Tromsš\nS2,Oslo')"
}

@test "validate reads a same-table foreign key's parents in the inputs' encoding: --encoding, or UTF-16 by its mark" {
	cat >s.json <<-'EOF'
		{"fields": [{"name": "id"}, {"name": "parent"}],
		 "foreignKeys": [{"fields": "parent", "reference": {"fields": "id"}}]}
	EOF
	printf 'id;parent\n\xe91;\n2;\xe91\n3;9\n' >l1.csv
	want=$(printf 'id,parent\né1,\n2,é1')
	run --separate-stderr "$BIN/validate" --schema s.json --delimiter ';' --encoding latin1 l1.csv
	assert_failure 1
	assert_output "$want"
	assert_equal "${stderr_lines[0]}" 'validate: l1.csv:4: column parent foreign-key: parent "9" is in no row of this table'
	printf 'id,parent\n\xe91,\n2,\xe91\n3,9\n' | iconv -f latin1 -t utf-16le | { printf '\xff\xfe'; cat; } >u16.csv
	run --separate-stderr "$BIN/validate" --schema s.json <u16.csv
	assert_failure 1
	assert_output "$want"
	assert_equal "${stderr_lines[0]}" 'validate: <stdin>:4: column parent foreign-key: parent "9" is in no row of this table'
}

@test "validate names the likely encoding at the end when the first line not UTF-8 comes after the first 64 KiB" {
	{
		echo 'name,n'
		for i in $(seq 1 8000); do echo "row$i,$i"; done
		printf 'caf\xe9,1\nna\xefve,2\n'
	} >late.csv
	assert [ "$(head -n 8001 late.csv | wc -c)" -gt 65536 ]
	run --separate-stderr "$BIN/validate" --rejects rej.csv late.csv
	assert_failure 1
	assert_equal "$(tail -n +2 rej.csv | cut -d, -f2,4)" "$(printf '8002,encoding-error\n8003,encoding-error')"
	assert_stderr_line 'validate: late.csv:8002: the first line that is not UTF-8 (byte 0xE9, é in latin1); if the input is in another encoding, run again with --encoding latin1'
	assert_stderr_line 'validate: 8002 rows read, 8000 valid, 2 rejected (encoding-error 2): rows were rejected'
	# Named, the encoding reads every line, and no hint is given.
	run --separate-stderr "$BIN/validate" --encoding latin1 late.csv
	assert_success
	assert_equal "$(tail -n 2 <<<"$output")" "$(printf 'café,1\nnaïve,2')"
	refute_stderr_line --partial 'first line that is not UTF-8'
}

@test "validate reads a foreign key's CSV path with --sniff's delimiter, and stops on one that is clearly not UTF-8" {
	cat >s.json <<-'EOF2'
		{"fields": [{"name": "city"}, {"name": "n", "type": "integer"}],
		 "foreignKeys": [{"fields": "city", "reference": {"resource": "cities.csv", "fields": "name"}}]}
	EOF2
	printf 'name;country\nKöln;DE\nZürich;CH\n' >cities.csv
	printf 'city;n\nKöln;1\nBern;2\n' >in.csv
	run --separate-stderr "$BIN/validate" --sniff --schema s.json --rejects rej.csv in.csv
	assert_failure 1
	assert_output "$(printf 'city,n\nKöln,1')"
	assert_equal "$(sed -n 2p rej.csv | cut -d, -f2-5)" '3,city,foreign-key,'
	iconv -f utf-8 -t latin1 cities.csv >cities.l1 && mv cities.l1 cities.csv
	run --separate-stderr "$BIN/validate" --sniff --schema s.json in.csv
	assert_failure 3
	assert_stderr_line 'validate: cities.csv:2: foreign key resource is not UTF-8; it looks like latin1: describe it in a data package with its "encoding" and use --package'
}

@test "validate stops with exit 3 and passes nothing on when the copy of stdin for a same-table foreign key cannot be written" {
	cat >s.json <<-'EOF2'
		{"fields": [{"name": "id"}, {"name": "parent"}],
		 "foreignKeys": [{"fields": "parent", "reference": {"resource": "", "fields": "id"}}]}
	EOF2
	{ echo id,parent; for i in $(seq 1 3000); do echo "n$i,n1"; done; } >tree.csv
	# A file-size limit makes every write past 1 KiB fail (EFBIG) as a
	# full disk would (ENOSPC): the signal it sends is ignored here.
	run --separate-stderr bash -c "trap '' XFSZ; ulimit -f 1; '$BIN/validate' --schema s.json <tree.csv"
	assert_failure 3
	assert_output ""
	assert_stderr_line --regexp "^validate: a copy for a same-table foreign key of <stdin> in .*: File too large$"
}
