// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Reading CSV text into a Table (automl/data/csv_reader.h): quoting, delimiters, type inference,
// options, and the message of every malformed-file error (file, line, column).
#include "automl/data/csv_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "winnow/error.h"

namespace winnow::automl {
namespace {

using Strings = std::vector<std::string>;

Table parse(const std::string& text, const CsvOptions& options = {}) {
  return parse_csv(text, "data.csv", options);
}

// The message parse_csv throws for `text`, or "" when it reads.
std::string error_of(const std::string& text, const CsvOptions& options = {}) {
  try {
    parse(text, options);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

const Column& column(const Table& table, std::string_view name) {
  int index = table.find(name);
  EXPECT_GE(index, 0) << name;
  return table.columns.at(static_cast<size_t>(index));
}

std::vector<std::string> texts(const Column& column) {
  std::vector<std::string> out;
  for (size_t row = 0; row < column.size(); ++row) out.push_back(column.text(row));
  return out;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::path(::testing::TempDir()) / ("automl_csv_test_" + name)).string();
}

TEST(CsvMissing, RecognisesEverySpellingAfterTrimming) {
  for (const char* cell :
       {"", "  ", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?", " NA ", "\tnull", "n/a",
        "#N/A", "#NA", "<NA>", "-nan", "-NaN"}) {
    EXPECT_TRUE(is_missing_token(cell)) << "'" << cell << "'";
  }
  for (const char* cell : {"0", "na", "-", "none", "??", "NAN", "inf", "x", "#", "<na>"}) {
    EXPECT_FALSE(is_missing_token(cell)) << "'" << cell << "'";
  }
}

TEST(CsvTypes, NumericColumnKeepsDoublesAndNaNForMissing) {
  Table table = parse("x,y\n1, +2.5\n-3e2 ,NA\n.5,?\n");
  ASSERT_EQ(table.rows, 3u);
  const Column& x = column(table, "x");
  EXPECT_EQ(x.type, ColumnType::kNumeric);
  EXPECT_EQ(x.numbers, (std::vector<double>{1.0, -300.0, 0.5}));
  EXPECT_EQ(x.missing, 0u);
  const Column& y = column(table, "y");
  EXPECT_EQ(y.type, ColumnType::kNumeric);
  EXPECT_EQ(y.numbers[0], 2.5);
  EXPECT_TRUE(std::isnan(y.numbers[1]));
  EXPECT_TRUE(y.is_missing(2));
  EXPECT_EQ(y.missing, 2u);
}

TEST(CsvTypes, TextThatOnlyLooksNumericIsCategorical) {
  // "1,5" is quoted so the comma is inside the cell; inf and nan spelled otherwise are text.
  for (const char* cell : {"\"1,5\"", "12abc", "inf", "0x10", "1e", "+-1", "Infinity"}) {
    Table table = parse(std::string("a\n1\n") + cell + "\n");
    EXPECT_EQ(table.columns[0].type, ColumnType::kCategorical) << cell;
  }
}

TEST(CsvTypes, AFewStrayTextsInANumericColumnAreMissingWithANote) {
  // One '-' among numbers once made the column text, which the AutoML then dropped as an
  // identifier: the column's numbers were lost with only a note.
  std::string text = "age,city\n";
  for (int row = 0; row < 60; ++row) {
    const std::string age = row == 10 ? "-" : row == 30 ? "unknown" : row == 31 ? "-"
                                                                                : std::to_string(row);
    text += age + ",c" + std::to_string(row % 3) + "\n";
  }
  Table table = parse(text);
  const Column& age = column(table, "age");
  ASSERT_EQ(age.type, ColumnType::kNumeric);
  ASSERT_EQ(age.numbers.size(), 60u);
  EXPECT_EQ(age.missing, 3u);
  EXPECT_EQ(age.numbers[9], 9.0);
  EXPECT_TRUE(std::isnan(age.numbers[10]));
  EXPECT_TRUE(std::isnan(age.numbers[30]));
  EXPECT_EQ(age.numbers[59], 59.0);
  ASSERT_EQ(table.notes.size(), 1u);
  const std::string& note = table.notes[0];
  EXPECT_NE(note.find("column 'age'"), std::string::npos) << note;
  EXPECT_NE(note.find("3 of its 60"), std::string::npos) << note;
  EXPECT_NE(note.find("'-', 'unknown'"), std::string::npos) << note;
  EXPECT_NE(note.find("line 12"), std::string::npos) << note;  // the header is line 1
  EXPECT_NE(note.find("--categorical age"), std::string::npos) << note;
  EXPECT_EQ(column(table, "city").type, ColumnType::kCategorical);

  // A text in the first row takes the other way into a text column; it ends the same.
  std::string single = "v\nn.a.\n";
  for (int row = 0; row < 40; ++row) single += std::to_string(row) + "\n";
  Table first = parse(single);
  ASSERT_EQ(first.columns[0].type, ColumnType::kNumeric);
  EXPECT_EQ(first.columns[0].missing, 1u);
  EXPECT_EQ(first.columns[0].numbers[40], 39.0);

  // Asked for as text, it stays text; and more than a few texts make a text column.
  CsvOptions options;
  options.categorical = {"age"};
  EXPECT_EQ(column(parse(text, options), "age").type, ColumnType::kCategorical);
  std::string mixed = "grade\n";
  for (int row = 0; row < 60; ++row) mixed += (row % 10 == 0 ? "K" : std::to_string(row % 10)) + "\n";
  Table grades = parse(mixed);
  EXPECT_EQ(grades.columns[0].type, ColumnType::kCategorical);
  EXPECT_TRUE(grades.notes.empty());
}

TEST(CsvTypes, ColumnOfOnlyMissingCellsIsNumericNaN) {
  Table table = parse("a,b\n,1\nNA,2\n?,3\n");
  const Column& a = column(table, "a");
  EXPECT_EQ(a.type, ColumnType::kNumeric);
  ASSERT_EQ(a.numbers.size(), 3u);
  for (double value : a.numbers) EXPECT_TRUE(std::isnan(value));
  EXPECT_EQ(a.missing, 3u);
}

TEST(CsvTypes, CategoricalLevelsInOrderOfAppearance) {
  Table table = parse("c\nred\nblue\n\nred\nNA\ngreen\n");
  const Column& c = table.columns[0];
  EXPECT_EQ(c.type, ColumnType::kCategorical);
  EXPECT_EQ(c.levels, (Strings{"red", "blue", "green"}));
  EXPECT_EQ(c.codes, (std::vector<int32_t>{0, 1, 0, -1, 2}));
  EXPECT_EQ(c.missing, 1u);
}

TEST(CsvTypes, NumbersBeforeTheFirstTextKeepTheirOriginalText) {
  Table table = parse("v\n1.50\nNA\n2\n1.50\nx\n2\n7\n");
  const Column& v = table.columns[0];
  ASSERT_EQ(v.type, ColumnType::kCategorical);
  EXPECT_EQ(v.levels, (Strings{"1.50", "2", "x", "7"}));
  EXPECT_EQ(v.codes, (std::vector<int32_t>{0, -1, 1, 0, 2, 1, 3}));
  EXPECT_EQ(v.missing, 1u);
  EXPECT_TRUE(v.numbers.empty());
}

TEST(CsvTypes, LateTextConvertsAManyRowNumericColumn) {
  std::string text = "id,v\n";
  for (int i = 0; i < 3000; ++i) text += std::to_string(i) + "," + std::to_string(i % 7) + "\n";
  // More texts than a few strays (ColumnBuilder::settle_stray_texts): a text column.
  for (int i = 3000; i < 3200; ++i) text += std::to_string(i) + ",seven\n";
  Table table = parse(text);
  EXPECT_EQ(column(table, "id").type, ColumnType::kNumeric);
  const Column& v = column(table, "v");
  ASSERT_EQ(v.type, ColumnType::kCategorical);
  EXPECT_EQ(v.levels, (Strings{"0", "1", "2", "3", "4", "5", "6", "seven"}));
  ASSERT_EQ(v.codes.size(), 3200u);
  for (int i = 0; i < 3000; ++i) ASSERT_EQ(v.codes[static_cast<size_t>(i)], i % 7);
  EXPECT_EQ(v.codes[3199], 7);
  EXPECT_TRUE(table.notes.empty());
}

TEST(CsvTypes, BooleanFamiliesAnyCase) {
  Table table = parse("a,b,c\nTrue,yes,t\nfalse,NO,F\n,Yes,\nTRUE,no,f\n");
  for (const char* name : {"a", "b", "c"}) {
    const Column& col = column(table, name);
    EXPECT_EQ(col.type, ColumnType::kBoolean) << name;
  }
  const Column& a = column(table, "a");
  EXPECT_EQ(a.numbers[0], 1.0);
  EXPECT_EQ(a.numbers[1], 0.0);
  EXPECT_TRUE(std::isnan(a.numbers[2]));
  EXPECT_EQ(a.numbers[3], 1.0);
  EXPECT_EQ(a.missing, 1u);
  EXPECT_EQ(column(table, "b").numbers, (std::vector<double>{1, 0, 1, 0}));
  // A boolean cell reads back in the spelling first seen for its value.
  EXPECT_EQ(texts(a), (Strings{"True", "false", "", "True"}));
  EXPECT_EQ(texts(column(table, "b")), (Strings{"yes", "NO", "yes", "NO"}));
}

TEST(CsvTypes, MixedBooleanSpellingsOrBooleansWithNumbersAreCategorical) {
  Table table = parse("a,b,c\ntrue,true,1\nno,1,true\n");
  const Column& a = column(table, "a");
  EXPECT_EQ(a.type, ColumnType::kCategorical);
  EXPECT_EQ(a.levels, (Strings{"true", "no"}));
  EXPECT_EQ(column(table, "b").type, ColumnType::kCategorical);
  const Column& c = column(table, "c");
  EXPECT_EQ(c.type, ColumnType::kCategorical);
  EXPECT_EQ(c.levels, (Strings{"1", "true"}));
}

TEST(CsvQuoting, DelimiterNewlineAndDoubledQuotesInsideQuotes) {
  Table table = parse("name,note\n\"Smith, J\",\"line one\nline two\"\n\"say \"\"hi\"\"\",\"\"\n");
  ASSERT_EQ(table.rows, 2u);
  const Column& name = column(table, "name");
  EXPECT_EQ(name.levels, (Strings{"Smith, J", "say \"hi\""}));
  const Column& note = column(table, "note");
  EXPECT_EQ(note.type, ColumnType::kCategorical);
  EXPECT_EQ(note.levels, (Strings{"line one\nline two"}));
  EXPECT_TRUE(note.is_missing(1));  // "" is an empty cell
}

TEST(CsvQuoting, QuotedNumbersAndQuotedHeaderNames) {
  Table table = parse("\"a b\",\" c \"\n\"1.5\",\"2\"\n");
  EXPECT_EQ(table.columns[0].name, "a b");
  EXPECT_EQ(table.columns[1].name, "c");
  EXPECT_EQ(table.columns[0].type, ColumnType::kNumeric);
  EXPECT_EQ(table.columns[0].numbers[0], 1.5);
}

TEST(CsvQuoting, LinesCountPhysicalLinesAfterAMultiLineField) {
  // The ragged row starts on line 5: the quoted field of row 2 spans lines 2 to 4.
  std::string text = "a,b\n\"x\ny\nz\",1\nonly\n";
  EXPECT_EQ(error_of(text), "data.csv:5: 1 field, the header has 2");
}

TEST(CsvQuoting, UnterminatedQuoteNamesTheLineWhereTheFieldStarts) {
  std::string message = error_of("a,b\n1,2\n3,\"open\nmore\nstill\n");
  EXPECT_EQ(message.rfind("data.csv:3: ", 0), 0u) << message;
  EXPECT_NE(message.find("closing quote"), std::string::npos) << message;
}

TEST(CsvQuoting, TextAfterAClosingQuoteIsAnError) {
  std::string message = error_of("a,b\n1,2\n\"x\"y,3\n");
  EXPECT_EQ(message.rfind("data.csv:3: ", 0), 0u) << message;
  EXPECT_NE(message.find("field 1"), std::string::npos) << message;
}

TEST(CsvFormat, CrlfBomBlankLinesAndNoTrailingNewline) {
  Table table = parse(
      "\xEF\xBB\xBF"
      "a,b\r\n\r\n1,x\r\n\r\n  \r\n2,y");
  ASSERT_EQ(table.rows, 2u);
  EXPECT_EQ(table.columns[0].name, "a");
  EXPECT_EQ(table.columns[0].numbers, (std::vector<double>{1, 2}));
  EXPECT_EQ(table.columns[1].levels, (Strings{"x", "y"}));
  // A row after a blank line still names its own physical line.
  EXPECT_EQ(error_of("a,b\r\n\r\n1,2\r\n\r\n3\r\n"), "data.csv:5: 1 field, the header has 2");
}

TEST(CsvFormat, GuessesSemicolonAndTab) {
  Table semicolons = parse("a;b;c\n1,5;2;x\n3,0;4;y\n");
  ASSERT_EQ(semicolons.columns.size(), 3u);
  EXPECT_EQ(semicolons.columns[0].type, ColumnType::kCategorical);  // decimal commas are text
  EXPECT_EQ(semicolons.columns[0].levels, (Strings{"1,5", "3,0"}));
  EXPECT_EQ(semicolons.columns[1].numbers, (std::vector<double>{2, 4}));
  Table tabs = parse("a\tb, c\td\n1\thello, world\t2\n");
  ASSERT_EQ(tabs.columns.size(), 3u);
  EXPECT_EQ(tabs.columns[1].name, "b, c");
  EXPECT_EQ(tabs.columns[1].levels, (Strings{"hello, world"}));
  // Delimiters inside a quoted header name do not count.
  Table quoted = parse("\"x;y;z\",w\n1,2\n");
  EXPECT_EQ(quoted.columns.size(), 2u);
}

TEST(CsvFormat, GivenDelimiterOverridesTheGuess) {
  CsvOptions options;
  options.delimiter = ';';
  Table table = parse("a,b;c\n1,2;3\n", options);
  ASSERT_EQ(table.columns.size(), 2u);
  EXPECT_EQ(table.columns[0].name, "a,b");
  options.delimiter = '"';
  EXPECT_NE(error_of("a\n1\n", options), "");
}

TEST(CsvErrors, RaggedRowNamesItsLineAndCounts) {
  EXPECT_EQ(error_of("a,b,c\n1,2,3\n1,2\n"), "data.csv:3: 2 fields, the header has 3");
  EXPECT_EQ(error_of("a,b,c\n1,2,3,4\n"), "data.csv:2: 4 fields, the header has 3");
}

TEST(CsvErrors, HeaderNamesMustBePresentAndDistinct) {
  EXPECT_EQ(error_of("a,,c\n1,2,3\n"), "data.csv:1: column 2 has no name");
  EXPECT_EQ(error_of("\n\na, \"  \"\n1,2\n"), "data.csv:3: column 2 has no name");
  EXPECT_EQ(error_of("x,b,c,d, x ,f\n1,2,3,4,5,6\n"),
            "data.csv:1: duplicate column name 'x' (columns 1 and 5)");
}

TEST(CsvErrors, HeaderNamesMustBeUtf8) {
  EXPECT_EQ(error_of("x,caf\xE9,y\n1,2,3\n"),
            "data.csv:1: the name of column 2 is not UTF-8 text; save the file as UTF-8");
  // Well-formed multi-byte names read, and cells are not held to UTF-8.
  Table table = parse("x,caf\xC3\xA9,\xF0\x9F\x98\x80\n1,\xE9t\xE9,3\n");
  EXPECT_EQ(table.columns.size(), 3u);
  EXPECT_EQ(table.columns[1].name, "caf\xC3\xA9");
}

TEST(CsvErrors, NumbersBeyondSinglePrecisionNameTheirLineAndColumn) {
  const std::string beyond =
      ", beyond the range of the single-precision numbers models learn from; rescale the "
      "column (e.g. its logarithm)";
  EXPECT_EQ(error_of("x,y\n1,2\n1e50,3\n"), "data.csv:3: column 'x' holds '1e50'" + beyond);
  EXPECT_EQ(error_of("x,y\n,2\n-4e38,3\n"), "data.csv:3: column 'x' holds '-4e38'" + beyond);
  CsvOptions numeric;
  numeric.numeric = {"y"};
  EXPECT_EQ(error_of("x,y\n1,1e308\n", numeric), "data.csv:2: column 'y' holds '1e308'" + beyond);
  // The largest single-precision magnitudes still read.
  Table table = parse("x\n3.4e38\n-3.4e38\n1e-300\n");
  EXPECT_EQ(column(table, "x").numbers.size(), 3u);
}

TEST(CsvErrors, BinaryDataNamesItsLine) {
  EXPECT_EQ(error_of(std::string("a,b\n1,2\n3,\0\n", 12)),
            "data.csv:3: not a CSV text file (binary data)");
  EXPECT_EQ(error_of("a,b\n1,\x01\n"), "data.csv:2: not a CSV text file (binary data)");
  EXPECT_EQ(error_of("a,b\n\"1\x02\",2\n"), "data.csv:2: not a CSV text file (binary data)");
}

TEST(CsvErrors, EmptyTextAndHeaderWithoutRows) {
  EXPECT_EQ(error_of(""), "data.csv is empty");
  EXPECT_EQ(error_of("\xEF\xBB\xBF\n\r\n"), "data.csv is empty");
  EXPECT_EQ(error_of("a,b\n"), "data.csv has a header but no data rows");
  EXPECT_EQ(error_of("a,b\n\n\n"), "data.csv has a header but no data rows");
}

TEST(CsvOptionsTest, CategoricalKeepsNumbersAsTheirText) {
  CsvOptions options;
  options.categorical = {"zip"};
  Table table = parse("zip,n\n007,1\n1.0,2\n,3\n007,4\n", options);
  const Column& zip = column(table, "zip");
  EXPECT_EQ(zip.type, ColumnType::kCategorical);
  EXPECT_EQ(zip.levels, (Strings{"007", "1.0"}));
  EXPECT_EQ(zip.codes, (std::vector<int32_t>{0, 1, -1, 0}));
  EXPECT_EQ(column(table, "n").type, ColumnType::kNumeric);
}

TEST(CsvOptionsTest, NumericRejectsTextNamingLineAndColumn) {
  CsvOptions options;
  options.numeric = {"price"};
  Table table = parse("price\n1\nNA\n", options);
  EXPECT_EQ(table.columns[0].type, ColumnType::kNumeric);
  EXPECT_EQ(error_of("id,price\n1,2\n2,\n3,abc\n", options),
            "data.csv:4: column 'price' is numeric but holds 'abc'");
  EXPECT_EQ(error_of("id,price\n1,true\n", options),
            "data.csv:2: column 'price' is numeric but holds 'true'");
}

TEST(CsvOptionsTest, IgnoredColumnsAreNotRead) {
  CsvOptions options;
  options.ignore = {"junk"};
  Table table = parse("a,junk,b\n1,\"x\",2\n3,,4\n", options);
  ASSERT_EQ(table.columns.size(), 2u);
  EXPECT_EQ(table.find("junk"), -1);
  EXPECT_EQ(table.columns[1].name, "b");
  EXPECT_EQ(table.columns[1].numbers, (std::vector<double>{2, 4}));
}

TEST(CsvOptionsTest, UnknownColumnNamesSuggestTheClosest) {
  CsvOptions options;
  options.categorical = {"colour"};
  EXPECT_EQ(error_of("color,size\n1,2\n", options),
            "data.csv: column 'colour' (given as categorical) is not in the header (did you mean "
            "'color'?)");
  options = {};
  options.numeric = {"weight"};
  EXPECT_EQ(error_of("color,size\n1,2\n", options),
            "data.csv: column 'weight' (given as numeric) is not in the header");
  options = {};
  options.ignore = {"sise"};
  EXPECT_NE(error_of("color,size\n1,2\n", options).find("'sise' (given as ignored)"),
            std::string::npos);
  options = {};
  options.numeric = {"size"};
  options.categorical = {"size"};
  EXPECT_NE(error_of("color,size\n1,2\n", options).find("'size'"), std::string::npos);
}

TEST(CsvFile, ReadsAFileAndNamesUnreadableOrEmptyOnes) {
  std::string path = temp_path("ok.csv");
  {
    std::ofstream out(path, std::ios::binary);
    out << "a,b\n1,x\n2,y\n";
  }
  Table table = read_csv(path);
  EXPECT_EQ(table.source, path);
  EXPECT_EQ(table.rows, 2u);
  std::string empty = temp_path("empty.csv");
  { std::ofstream out(empty, std::ios::binary); }
  try {
    read_csv(empty);
    ADD_FAILURE() << "an empty file read";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()), empty + " is empty");
  }
  std::string absent = temp_path("absent.csv");
  try {
    read_csv(absent);
    ADD_FAILURE() << "a missing file read";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()), "cannot read " + absent + ": No such file or directory");
  }
  {
    std::ofstream out(path, std::ios::binary);
    out << "a,b\n1,2\n1\n";
  }
  try {
    read_csv(path);
    ADD_FAILURE() << "a ragged file read";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()), path + ":3: 1 field, the header has 2");
  }
  std::remove(path.c_str());
  std::remove(empty.c_str());
}

TEST(TableTest, FindFilterRowsAndText) {
  Table table = parse("n,c,b\n1.5,x,true\nNA,y,\n3,,false\n4,x,true\n");
  EXPECT_EQ(table.find("c"), 1);
  EXPECT_EQ(table.find("missing"), -1);
  EXPECT_EQ(texts(column(table, "n")), (Strings{"1.5", "", "3", "4"}));
  table.filter_rows({1, 0, 1, 0});
  EXPECT_EQ(table.rows, 2u);
  const Column& n = column(table, "n");
  EXPECT_EQ(n.numbers, (std::vector<double>{1.5, 3}));
  EXPECT_EQ(n.missing, 0u);
  const Column& c = column(table, "c");
  EXPECT_EQ(c.codes, (std::vector<int32_t>{0, -1}));
  EXPECT_EQ(c.levels, (Strings{"x", "y"}));  // codes keep their meaning
  EXPECT_EQ(c.missing, 1u);
  EXPECT_EQ(texts(column(table, "b")), (Strings{"true", "false"}));
  EXPECT_THROW(table.filter_rows({1}), std::logic_error);
}

TEST(TableTest, TypeNames) {
  EXPECT_EQ(to_string(ColumnType::kNumeric), "numeric");
  EXPECT_EQ(to_string(ColumnType::kCategorical), "categorical");
  EXPECT_EQ(to_string(ColumnType::kBoolean), "boolean");
}

}  // namespace
}  // namespace winnow::automl
